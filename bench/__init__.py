"""Benchmarks (``make bench``): ratios against raw-SQL baselines run in the same run.

The measured paths run as in production: ``DEBUG`` off (Django's debug cursor keeps
every query's SQL in memory and times it), unless the environment says otherwise.
"""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)  # no session is ever signed
