# Sourced by tests/run.sh and demo/run.sh: make .venv at the repository root
# if missing and install the project with its test extras into it, once per
# pyproject.toml. Both scripts share the marker, so whichever runs second does
# not install the same packages again. PYTHON picks the interpreter.

venv_marker=.venv/.signal-panel-installed

ensure_venv() {
    local python=${PYTHON:-python3} wanted
    if [ ! -x .venv/bin/python ]; then
        echo "Creating .venv with $python"
        "$python" -m venv .venv
    fi
    wanted=$(cksum < pyproject.toml)
    if [ "$(cat "$venv_marker" 2>/dev/null)" != "$wanted" ] ||
        ! .venv/bin/python -c "import signal_panel, debug_toolbar, uvicorn, pytest" 2>/dev/null; then
        echo "Installing signal_panel and its test extras into .venv"
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet --editable ".[test]"
        echo "$wanted" > "$venv_marker"
    fi
}
