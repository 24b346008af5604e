"""Lianjie's domain: aggregates, their events and rules. Pure Python, no I/O."""
