"""Joining: invitations to act for an organisation, applications to join a network, bringing a membership in."""
