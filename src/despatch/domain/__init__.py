"""The rules of the business in plain Python: no framework, no I/O."""
