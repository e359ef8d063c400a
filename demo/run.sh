#!/usr/bin/env bash
# Serve the signal_panel demo site on http://127.0.0.1:8000/ with the toolbar.
#
#   bash demo/run.sh           # runserver (WSGI, auto-reload)
#   bash demo/run.sh --asgi    # the same site under uvicorn (ASGI)
#
# Creates .venv at the repository root if missing, installs the project with
# its test extras (uvicorn among them; again whenever pyproject.toml changes),
# migrates the SQLite database in demo/var/ and seeds the demo data (safe to
# repeat). HOST and PORT override the address; PYTHON picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=wsgi
for arg in "$@"; do
    case "$arg" in
        --asgi) mode=asgi ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: bash demo/run.sh [--asgi]" >&2; exit 2 ;;
    esac
done

host=${HOST:-127.0.0.1}
port=${PORT:-8000}
python=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv with $python"
    "$python" -m venv .venv
fi
# Install again only when pyproject.toml changed since the last install.
stamp=.venv/.signal-panel-demo-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] ||
    ! .venv/bin/python -c "import signal_panel, debug_toolbar, uvicorn" 2>/dev/null; then
    echo "Installing signal_panel and its test extras into .venv"
    .venv/bin/python -m pip install --quiet --editable ".[test]"
    touch "$stamp"
fi

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
