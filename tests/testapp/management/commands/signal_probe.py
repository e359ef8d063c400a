"""``signal_probe``: a command that sends signals, writes to every stream, and
ends the way it is told; ``record_signals`` must not change any of it."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tests.testapp.signals import article_published, robust_signal


class Command(BaseCommand):
    help = "Send the test app's signals, write output, then end as told."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("words", nargs="*", help="echoed to stdout")
        parser.add_argument(
            "--end", choices=["ok", "command-error", "exit", "exception"], default="ok"
        )

    def handle(self, *args: str, **options: Any) -> None:
        self.stdout.write(f"words: {options['words']!r}")
        article_published.send(sender=None, title="from a command")
        print("print() to sys.stdout: naïve ☃")
        robust_signal.send_robust(sender=None)
        self.stderr.write("a line on stderr")
        sys.stdout.flush()
        sys.stdout.buffer.write(b"raw bytes \x00\xff\r\nno newline at the end")
        sys.stdout.buffer.flush()
        end = options["end"]
        if end == "command-error":
            raise CommandError("the probe was told to fail", returncode=3)
        if end == "exit":
            sys.exit(4)
        if end == "exception":
            raise ValueError("the probe broke")
