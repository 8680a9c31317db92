#!/usr/bin/env bash
# Starts Celery worker and beat in the background and the web server in the
# foreground; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}
CELERY=$(dirname "$PY")/celery
mkdir -p var/log

# On PostgreSQL the web server keeps its connections in a pool (at most
# DATABASE_POOL_MAX_SIZE, default 10; settings.py); the worker and beat use none: a
# connection per worker process, opened and closed around each task by Celery.
DATABASE_POOL_MAX_SIZE=0 "$CELERY" -A smarketing worker -l INFO --concurrency=2 >var/log/worker.log 2>&1 &
WORKER=$!
DATABASE_POOL_MAX_SIZE=0 "$CELERY" -A smarketing beat -l INFO >var/log/beat.log 2>&1 &
BEAT=$!
trap 'kill $WORKER $BEAT 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

"$PY" manage.py demo_logins || true
cat <<MSG

  smarketing is starting at  http://127.0.0.1:${PORT}/
  Celery worker log: var/log/worker.log   beat log: var/log/beat.log
  Database: ${DATABASE_URL:-SQLite (var/smarketing.sqlite3)}   Broker: ${REDIS_URL:-${CELERY_BROKER_URL:-filesystem:// (var/broker)}}

MSG
"$PY" manage.py runserver "127.0.0.1:${PORT}" --noreload
