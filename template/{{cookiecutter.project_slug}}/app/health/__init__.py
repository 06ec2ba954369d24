"""Readiness: is the database reachable, is Redis (when configured)."""
