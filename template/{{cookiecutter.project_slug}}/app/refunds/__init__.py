"""Refunds: money given back through the channel that took it, in full or in part, once."""
