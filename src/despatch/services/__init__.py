"""Use cases: one short function each (transaction, locks, domain call, outbox, audit)."""
