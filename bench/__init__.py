"""Benchmarks and the load test: `make bench` (python -m bench.run) and `make load` (python -m bench.load).

Results go to docs/performance.md; see bench/run.py and bench/load.py.
"""
