"""Benchmarks: they report numbers (``make bench`` → bench-results.json), tests assert."""
