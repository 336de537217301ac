"""After a run: what we sent vs what the target holds (reconcile) and the report of it."""
