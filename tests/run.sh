#!/usr/bin/env bash
# Run signal_panel's whole test suite on a fresh Debian machine.
#
# Creates .venv (if missing), installs the project with its test extras (once
# per pyproject.toml: tests/venv.sh), and the system packages the tests drive
# for real: Chromium (browser tests), PostgreSQL and Redis (multi-process
# store tests). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# Installs only when pyproject.toml changed since the last install (by this
# script or demo/run.sh: they share the marker).
. tests/venv.sh
ensure_venv

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "Missing system packages: ${missing[*]} (install them, e.g. sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi

.venv/bin/ruff check signal_panel tests demo bench noxfile.py
.venv/bin/ruff format --check signal_panel tests demo bench noxfile.py
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
