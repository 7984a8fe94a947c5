#!/usr/bin/env bash
# The wheel alone makes a working platform: build it from the files git knows (so nothing that only
# exists in this working tree, such as compiled .mo files, can slip in), install it into a clean venv
# with the pinned versions, run `incubator db upgrade` and `incubator demo` in an empty instance
# folder, serve it, and read the home page in Chinese and, after /lang/en, in English.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
BUILD_PIP=${BUILD_PIP:-.venv/bin/pip}
PORT=${CHECK_WHEEL_PORT:-5097}
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "check-wheel: $*" >&2; [ -f "$work/server.log" ] && tail -20 "$work/server.log" >&2; exit 1; }

echo "== check-wheel: build =="
mkdir "$work/src"
git ls-files -co --exclude-standard | while IFS= read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done \
  | tar -cf - -T - | tar -xf - -C "$work/src"
"$BUILD_PIP" wheel -q --no-deps -w "$work/dist" "$work/src"
wheel=$(ls "$work"/dist/incubator-*.whl)
"$PYTHON" - "$wheel" <<'PY' || fail "the wheel lacks compiled catalogs, migrations or the course catalogue"
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
needed = ["incubator/translations/en/LC_MESSAGES/messages.mo", "plugins/enrolment/translations/en/LC_MESSAGES/messages.mo",
          "incubator/migrations/env.py", "incubator/migrations/versions/0001_core_core_tables.py",
          "plugins/enrolment/courses/pm102-finance.md"]
missing = [n for n in needed if n not in names]
sys.exit(f"missing from the wheel: {missing}" if missing else 0)
PY

echo "== check-wheel: install into a clean venv =="
"$PYTHON" -m venv "$work/venv"
# The pins as constraints (a constraint cannot carry extras: psycopg[binary] → psycopg).
sed -E 's/\[[^]]*\]//' requirements.txt > "$work/constraints.txt"
"$work/venv/bin/pip" install -q --disable-pip-version-check -c "$work/constraints.txt" "$wheel" \
  > "$work/pip.log" 2>&1 || { tail -30 "$work/pip.log"; fail "pip install of the wheel failed"; }
echo "   (${SECONDS}s)"

echo "== check-wheel: migrate, demo data, serve =="
cd "$work"  # away from the source tree: everything comes from the installed wheel
export INCUBATOR_INSTANCE_PATH="$work/instance" INCUBATOR_DATABASE_URL="sqlite:///$work/check.db" \
  INCUBATOR_BASE_URL="http://127.0.0.1:$PORT"
unset INCUBATOR_TEST_DATABASE_URL INCUBATOR_DISABLED_PLUGINS INCUBATOR_PLUGINS_DIR INCUBATOR_COURSES_DIR
bin="$work/venv/bin"
"$bin/incubator" db upgrade || fail "incubator db upgrade failed"
"$bin/incubator" db current | grep -q "enrolment (alembic_version_enrolment): .*(head)" \
  || fail "a plugin's migrations did not run"
"$bin/incubator" demo --orgs 6 > demo.log 2>&1 || { tail -30 demo.log; fail "incubator demo failed"; }
echo "   (${SECONDS}s)"
"$bin/python" - <<'PY' || fail "a file of the package is read from outside it"
import incubator, plugins
assert "site-packages" in incubator.__file__ and "site-packages" in plugins.__file__, (incubator.__file__, plugins.__file__)
PY
"$bin/incubator" run --port "$PORT" > server.log 2>&1 &
server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.2; done

# The whole page first, then grep: `curl | grep -q` let grep close the pipe at its first match, and
# curl, cut off (SIGPIPE), failed the check and left its cookie jar unwritten.
page() { curl -sf -b jar -c jar -L -o page.html "http://127.0.0.1:$PORT$1" || fail "GET $1 failed"; }
page / && grep -q "社区治理学院" page.html || fail "the home page is not in Chinese"
page /lang/en
page / && grep -q "Community Governance Academy" page.html || fail "the home page is not in English after /lang/en"
echo "check-wheel: ok in ${SECONDS}s (the wheel migrates, loads the demo, serves Chinese and English)"
