#!/usr/bin/env bash
# The embedded portal in the foreground: web server, Celery worker and Celery beat.
# Ctrl-C (or SIGTERM) stops all three; if one of them dies, the others are stopped too.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
port=${PORT:-8000}
bind=${BIND:-127.0.0.1}
mkdir -p var/celery/queue var/celery/processed var/celery/control
# The embedded demo runs without the second factor (its login page says so), so the demo
# accounts work with their password alone. Production leaves TWO_FACTOR_REQUIRED unset (on).
export TWO_FACTOR_REQUIRED="${TWO_FACTOR_REQUIRED:-false}"

pids=()
stop() {
  trap - INT TERM EXIT
  kill -TERM "${pids[@]}" 2>/dev/null
  # A Celery worker whose pool children were signalled too (Ctrl-C reaches the whole
  # group) can wait forever in its warm shutdown: give everything 10 s, then kill.
  for _ in $(seq 10); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 1
  done
  kill -KILL "${pids[@]}" 2>/dev/null
  wait
}
trap stop INT TERM EXIT

"$bin/celery" -A portal worker -Q default,reminders,exports --concurrency 2 --loglevel INFO &
pids+=($!)
"$bin/celery" -A portal beat --loglevel INFO &
pids+=($!)
"$bin/gunicorn" portal.wsgi --bind "$bind:$port" --workers 2 --threads 4 \
  --access-logfile - --graceful-timeout 5 &
pids+=($!)

echo "Portal: http://$bind:$port/  (Ctrl-C stops it)"
wait -n
