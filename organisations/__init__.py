"""Consortia, networks, members and suppliers; the people who act for them, their roles and access.

Also each person's account (signing in, API tokens, profiles) and the emails they choose to receive.
"""
