"""Fulfilment: parcels of paid orders, reported to WeChat for mini-program payments, and
receipt, confirmed by the customer or by time."""
