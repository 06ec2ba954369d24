"""The catalogue: products, read by everyone, written by admins."""
