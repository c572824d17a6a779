"""The top layer: the app factory, configuration, the demo and the benchmark baseline.

The only package that imports all the others; it wires their blueprints, navigation and commands.
"""
