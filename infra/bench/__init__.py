"""Benchmark harnesses and the shared log generator (run from the repository root)."""
