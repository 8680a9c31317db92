"""Benchmarks (``make bench``): ratios against raw-SQL baselines run in the same run.

The measured paths run as in production: ``DEBUG`` off (Django's debug cursor keeps
every query's SQL in memory and times it), unless the environment says otherwise.
"""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)  # no session is ever signed
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")  # the bench client speaks plain HTTP
# No connection pool: bench.claim's 16 claimers hold a connection each, as before.
os.environ.setdefault("DATABASE_POOL_MAX_SIZE", "0")
