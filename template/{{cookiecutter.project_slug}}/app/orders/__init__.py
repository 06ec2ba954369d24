"""Orders: placed against reserved stock, paid, cancelled or expired, in one state machine."""
