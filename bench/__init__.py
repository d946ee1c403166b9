"""Benchmarks of the API against hand-written baselines over a large synthetic catalog."""
