#!/usr/bin/env python
"""Django's command-line utility for the signal_panel demo site."""

import os
import sys
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent


def main() -> None:
    # Run as ``python demo/manage.py``: import the project as the ``demo``
    # package from the repository root, never its apps as top-level modules.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != DEMO_DIR]
    sys.path.insert(0, str(DEMO_DIR.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
