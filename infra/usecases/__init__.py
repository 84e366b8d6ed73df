"""Use cases of the Ledger application, one module per resource."""
