"""Addresses: where a customer's parcels go; an order copies the one it ships to."""
