#!/usr/bin/env bash
# Serve the signal_panel demo site on http://127.0.0.1:8000/ with the toolbar.
#
#   bash demo/run.sh           # runserver (WSGI, auto-reload)
#   bash demo/run.sh --asgi    # the same site under uvicorn (ASGI)
#
# First checks that the port is free (and says which process holds it if
# not). Creates .venv at the repository root if missing and installs the
# project with its test extras, once per pyproject.toml (tests/run.sh shares
# the marker: tests/venv.sh); migrates the SQLite database in demo/var/ and
# seeds the demo data (safe to repeat). HOST and PORT override the address;
# PYTHON picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=wsgi
for arg in "$@"; do
    case "$arg" in
        --asgi) mode=asgi ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: bash demo/run.sh [--asgi]" >&2; exit 2 ;;
    esac
done

host=${HOST:-127.0.0.1}
port=${PORT:-8000}

# Whether something listens on host:port: binding fails (SO_REUSEADDR, as
# the servers set it, so a closed connection's TIME_WAIT does not count).
port_taken() {
    "${PYTHON:-python3}" - "$1" "$2" <<'PY'
import socket
import sys

host, port = sys.argv[1].strip("[]"), int(sys.argv[2])
with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sys.exit(0)
sys.exit(1)
PY
}

# The processes listening on a TCP port, one line each: PID and command.
port_holders() {
    local pids=""
    if command -v ss >/dev/null; then
        pids=$(ss -H -ltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 || true)
    fi
    if [ -z "$pids" ] && command -v lsof >/dev/null; then
        pids=$(lsof -nP -t -iTCP:"$1" -sTCP:LISTEN 2>/dev/null || true)
    fi
    for pid in $(printf '%s\n' $pids | sort -u); do
        echo "  PID $pid: $(ps -o args= -p "$pid" 2>/dev/null | cut -c1-160)"
    done
}

if port_taken "$host" "$port"; then
    echo "Port $port on $host is already in use, by:" >&2
    holders=$(port_holders "$port")
    echo "${holders:-  a process this user cannot see (try: sudo ss -ltnp 'sport = :$port')}" >&2
    echo "Stop it, or serve the demo on another port: PORT=8001 bash demo/run.sh" >&2
    exit 1
fi

. tests/venv.sh
ensure_venv

.venv/bin/python demo/manage.py migrate --noinput
.venv/bin/python demo/manage.py seed_demo

echo
echo "Demo site: http://$host:$port/  (log in as demo / demo-password)"
if [ "$mode" = asgi ]; then
    exec .venv/bin/python -m uvicorn demo.asgi:application --lifespan off \
        --host "$host" --port "$port"
else
    exec .venv/bin/python demo/manage.py runserver "$host:$port"
fi
