#!/usr/bin/env bash
# `make run`: the web server and, beside it, the platform's queue worker (`incubator worker`: notices,
# reminders, certificate batches; log instance/worker.log). Ctrl-C stops both and
# ends quietly (exit 0) instead of leaving make to report the server's signal as an error.
set -u
bin=.venv/bin
host=${HOST:-127.0.0.1}
port=${PORT:-5000}
# The address printed on certificates (by the worker too): this server, unless configured otherwise.
export INCUBATOR_BASE_URL=${INCUBATOR_BASE_URL:-http://$host:$port/}
"$bin/incubator" worker > instance/worker.log 2>&1 &
worker=$!
echo "Serving on http://$host:$port (queue worker log: instance/worker.log). Ctrl-C stops."
"$bin/incubator" run --host "$host" --port "$port" &
web=$!
stop() {
  trap - INT TERM
  kill "$web" "$worker" 2>/dev/null
  wait "$web" "$worker" 2>/dev/null
  echo "Stopped."
  exit 0
}
trap stop INT TERM
wait "$web"
status=$?
kill "$worker" 2>/dev/null
exit "$status"
