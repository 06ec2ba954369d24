"""The contract's side of the service: its operations, schemas, and how they bind to handlers."""
