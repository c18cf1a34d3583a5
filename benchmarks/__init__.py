"""Repeatable performance runs that print JSON (run from the repo root: python -m benchmarks.X)."""
