"""Print the compiled copies of Django's send methods, as the recorder makes them.

    python -m signal_panel.recorder.compiler          # the installed Django's
    python -m signal_panel.recorder.compiler FILE     # those of a dispatcher.py

The code is what :func:`compiler.compiled_sources` builds from the text of
``django/dispatch/dispatcher.py``, with the recorder's layout of a call
(``instrument.CALL_SLOTS``). No Django project is needed: Django's file is
read, not run. tests/recorder/data/ keeps the output for the newest Django
(regenerate it with the second form when the compiled code changes).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import django

from signal_panel.recorder.compiler import DJANGO_MODULE, compiled_sources, render
from signal_panel.recorder.instrument import CALL_SLOTS


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    if argv:
        path = Path(argv[0])
        heading = ""
    else:
        spec = importlib.util.find_spec(DJANGO_MODULE)
        if spec is None or spec.origin is None:
            print(f"{DJANGO_MODULE} not found", file=sys.stderr)
            return 1
        path = Path(spec.origin)
        heading = f"# Django {django.get_version()}: {path}\n\n"
    texts = compiled_sources(path.read_text(encoding="utf-8"), CALL_SLOTS)
    sys.stdout.write(heading + render(texts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
