"""Keeping an ERP in step: a transactional outbox of order, product and stock changes,
delivered in order per entity, and signed pushes of stock levels and prices coming back.

    change in a core service ──(same transaction)──> erp_outbox row  order:42:7, pending
    delivery worker ──POST, signed, Idempotency-Key: order:42:7──> ERP_BASE_URL
        2xx                      -> delivered
        timeout, 408, 429, 5xx   -> pending again, after exponential backoff with jitter
        other 4xx, or too many   -> dead (listErpDeadLetters, replayErpDeadLetter)
    ERP ──POST /api/v1/erp/updates, signed──> newer-only, once per sync_id

The wire format is this module's own (the ERP side is written to it): see the README section
and `signing.py`.
"""
