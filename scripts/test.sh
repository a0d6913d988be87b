#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh machine, then runs lint, types and tests.
# Extra arguments go to pytest (for example: bash scripts/test.sh tests/domain -x).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

# Debian's Chromium drives the browser tests (no browser download works offline);
# DejaVu fonts let the PDF transcripts show every French character; ffmpeg is the
# independent decoder the recordings are checked with; HAProxy and nginx are the real
# reverse proxies the trusted-proxy tests run the gateway behind.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
# The multi-node tests start throwaway Redis and PostgreSQL servers of their own.
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# strace shows the durable Node reference relay acking only after its log's fdatasync.
command -v strace >/dev/null 2>&1 || missing+=(strace)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing from Debian: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing and not installable here: ${missing[*]} (their tests skip)" >&2
    fi
fi

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[dev,load]'

# The Node.js reference relay the load-test scenarios are also checked against.
if command -v npm >/dev/null 2>&1; then
    (cd loadtest/reference && npm ci --no-audit --no-fund --silent)
else
    echo "npm is missing: the Node reference scenarios will skip" >&2
fi

.venv/bin/ruff check src tests loadtest
.venv/bin/mypy src loadtest

.venv/bin/python -m pytest "$@"
