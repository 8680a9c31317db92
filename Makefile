# smarketing — one named command per routine. `make run` and `make test` are the two that matter.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_LEADS ?= 2000
PORT ?= 8000
# pytest-xdist worker processes for the test targets (0: one process, no xdist).
# Two pay on this 2-core machine: the whole suite ran 157 s -> 108 s on PostgreSQL + Redis,
# 112 s -> 91 s on SQLite (lint included, the machine quiet).
TEST_WORKERS ?= 2
# How xdist hands tests out: worksteal gives each worker half the suite in order, and a
# worker that runs dry takes half of what the other still has queued. With `load`
# (chunks handed out as workers ask) the slow subprocess tests at the end of the order
# (beat, settings, degrade servers) could leave one core idle while the other worked
# through them.
TEST_DIST ?= worksteal
# Let Python cache bytecode (and pytest its rewritten test modules) in __pycache__:
# with PYTHONDONTWRITEBYTECODE set (some shells and images do) every run, and every
# xdist worker, compiles the project again — collection 4.3-5.5 s instead of 2.3-2.5 s.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test fuzz test-sqlite test-sqlite-full lint format bench bench-smoke worker beat migrate demo messages clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput -v0

demo: migrate
	$(PY) manage.py seed_demo --leads $(DEMO_LEADS) --if-empty

## Start web + Celery worker + beat on the embedded defaults (or DATABASE_URL / REDIS_URL).
run: demo
	PORT=$(PORT) PY=$(PY) ./scripts/run.sh

# The worker and beat use no connection pool (settings.py, DATABASE_POOL_MAX_SIZE).
worker: $(STAMP)
	DATABASE_POOL_MAX_SIZE=0 $(VENV)/bin/celery -A smarketing worker -l INFO --concurrency=2

beat: $(STAMP)
	DATABASE_POOL_MAX_SIZE=0 $(VENV)/bin/celery -A smarketing beat -l INFO

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run -v0

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Everything that can run here; tests whose service is missing are listed at the end.
test: lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist $(TEST_DIST) $(PYTEST_ARGS)

## The API fuzz alone (part of make test; PostgreSQL): FUZZ_EXAMPLES=100 make fuzz digs deeper.
fuzz: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist $(TEST_DIST) $(PYTEST_ARGS) tests/test_api_fuzz.py

SQLITE_ENV := env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL
SQLITE_MARKERS := -m "not postgres and not redis and not browser"
# What differs between the databases: intake's and the claim's PostgreSQL paths, the
# evaluation's history queries, the predictive rows, the demo's COPY path, the jobs'
# leases without PostgreSQL's run lock (and a killed worker on the filesystem broker);
# plus a smoke of the app (pages, a real worker on the filesystem broker).
SQLITE_TESTS := tests/test_smoke.py tests/leads/test_views.py \
	tests/leads/test_intake.py tests/leads/test_intake_concurrency.py \
	tests/leads/test_claim_next.py tests/leads/test_queue.py \
	tests/leads/scoring/test_history.py tests/leads/scoring/test_evaluation.py \
	tests/leads/scoring/test_evaluation_task.py tests/leads/scoring/test_predictive_services.py \
	tests/leads/test_seed_demo.py tests/leads/test_opt_outs.py tests/leads/test_job_leases.py \
	tests/leads/test_job_crash.py tests/leads/test_integrity.py \
	tests/sla/compliance/test_figures.py

## The SQLite pass CI runs after the PostgreSQL one: the tests where the databases differ.
test-sqlite: $(STAMP)
	$(SQLITE_ENV) $(PY) -m pytest -n $(TEST_WORKERS) --dist $(TEST_DIST) $(SQLITE_MARKERS) $(PYTEST_ARGS) $(SQLITE_TESTS)

## The whole suite on SQLite (no PostgreSQL-, Redis- or browser-only tests).
test-sqlite-full: $(STAMP)
	$(SQLITE_ENV) $(PY) -m pytest -n $(TEST_WORKERS) --dist $(TEST_DIST) $(SQLITE_MARKERS) $(PYTEST_ARGS)

## Benchmarks against PostgreSQL (BENCH_DATABASE_URL, default a local smarketing_bench database).
bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)
	$(PY) -m bench.scoring
	$(PY) -m bench.rescore
	$(PY) -m bench.claim
	$(PY) -m bench.lead_list
	$(PY) -m bench.sweep
	$(PY) -m bench.freeze

bench-smoke: $(STAMP)
	$(PY) -m bench --smoke
	$(PY) -m bench.scoring --smoke
	$(PY) -m bench.rescore --smoke
	$(PY) -m bench.claim --smoke
	$(PY) -m bench.lead_list --smoke
	$(PY) -m bench.sweep --smoke
	$(PY) -m bench.freeze --smoke

## Re-extract and compile the en / zh-hans catalogs.
messages: $(STAMP)
	$(PY) manage.py makemessages -l en -l zh_Hans --no-obsolete --ignore=.venv --ignore=var --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf var
