# Sourced by tests/run.sh and demo/run.sh: make .venv at the repository root
# if missing and install the project with its test extras into it, and the
# fixture distribution pagesearch (non-editable, as a real dependency is),
# once per pyproject.toml and pagesearch's sources. Both scripts share the
# marker, so whichever runs second does not install the same packages again.
# PYTHON picks the interpreter.

venv_marker=.venv/.signal-panel-installed
fixture_package=tests/fixture_packages/pagesearch

ensure_venv() {
    local python=${PYTHON:-python3} wanted
    if [ ! -x .venv/bin/python ]; then
        echo "Creating .venv with $python"
        "$python" -m venv .venv
    fi
    # shellcheck disable=SC2046 # the fixture's file names have no spaces
    wanted=$(cat pyproject.toml $(find "$fixture_package" -type f -not -path '*/__pycache__/*' \
        \( -name '*.py' -o -name '*.toml' \) | LC_ALL=C sort) | cksum)
    if [ "$(cat "$venv_marker" 2>/dev/null)" != "$wanted" ] ||
        ! .venv/bin/python -c "import signal_panel, debug_toolbar, uvicorn, pytest, pagesearch" 2>/dev/null; then
        echo "Installing signal_panel and its test extras into .venv"
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet --editable ".[test]"
        # --force-reinstall: its version stays 1.4.2 when its files change.
        .venv/bin/python -m pip install --quiet --no-deps --force-reinstall "./$fixture_package"
        echo "$wanted" > "$venv_marker"
    fi
}
