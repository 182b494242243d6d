"""Benchmarks against DESIGN §6's budgets: `python -m bench` (see bench/__main__.py)."""
