"""``manage.py record_signals <command> [its arguments…]``: any command, recorded.

Runs the command exactly as ``manage.py <command> …`` would (same parser,
same output streams, same error handling and exit status) inside
``record_signals()``, then writes the recording's text to stderr, also when
the command fails: the report first, then the command's own error. The
command's stdout is left alone, so pipes keep working.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
from typing import IO, Any

from django.core.management import (
    BaseCommand,
    CommandError,
    ManagementUtility,
    call_command,
    get_commands,
    load_command_class,
)
from django.core.management.base import CommandParser

from signal_panel.api import Recording, record_signals
from signal_panel.conf import get_config
from signal_panel.report import format_stats, wants_color


class Command(BaseCommand):
    help = (
        "Run a management command while recording every Django signal it sends; "
        "print the recording to stderr when it ends."
    )
    # The wrapped command runs its own checks.
    requires_system_checks: list[str] = []

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        # Exact option names only: everything after the command name is its own.
        return super().create_parser(prog_name, subcommand, allow_abbrev=False)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json",
            metavar="FILE",
            help="also write the stats document (docs/stats-format.md) to FILE",
        )
        parser.add_argument(
            "--max-detailed",
            metavar="N",
            type=_count,
            help="dispatches kept in detail (default: SIGNAL_PANEL's MAX_DETAILED)",
        )
        parser.add_argument("command", help="the management command to run")
        parser.add_argument(
            "args",
            nargs=argparse.REMAINDER,
            help="its arguments and options, passed on unchanged",
        )

    def run_from_argv(self, argv: list[str]) -> None:
        # argparse may drop a "--" from the wrapped command's arguments:
        # keep the exact ones, everything after the command's name.
        self._argv = argv
        self._wrapped_args = argv[2 + _command_index(argv[2:], self) + 1 :]
        super().run_from_argv(argv)

    def handle(self, *args: str, **options: Any) -> None:
        self.command = options["command"]
        self.config = get_config()
        if options["max_detailed"] is not None:
            self.config = dataclasses.replace(
                self.config, max_detailed=options["max_detailed"]
            )
        self.color = options["force_color"] or (
            not options["no_color"] and wants_color(self.stderr)
        )
        self.json_file = _open_json(options["json"])
        try:
            if getattr(self, "_called_from_command_line", False):
                # As manage.py runs it: its parser, its error output, its exit.
                prog_name = self._argv[0]
                utility = ManagementUtility([prog_name, self.command])
                wrapped = utility.fetch_command(self.command)
                self._wrap(wrapped)
                wrapped.run_from_argv([prog_name, self.command, *self._wrapped_args])
            else:
                wrapped = _load(self.command)
                self._wrap(wrapped)
                streams = {
                    k: options[k] for k in ("stdout", "stderr") if options.get(k)
                }
                call_command(wrapped, *args, **streams)
        finally:
            if self.json_file is not None and not self.json_file.closed:
                self.json_file.close()  # The command did not start (a usage error).

    def _wrap(self, wrapped: BaseCommand) -> None:
        """Record ``wrapped.execute``: the command's checks and its handle()."""
        execute = wrapped.execute

        def recorded(*args: Any, **options: Any) -> Any:
            stack = contextlib.ExitStack()
            recording = None
            try:
                recording = stack.enter_context(record_signals(self.config))
            except Exception as exc:  # The command runs on, unrecorded.
                self.stderr.write(f"record_signals: could not record: {exc!r}")
            try:
                return execute(*args, **options)
            finally:
                try:
                    stack.close()
                except Exception as exc:
                    self.stderr.write(f"record_signals: could not record: {exc!r}")
                if recording is not None:
                    self._finish(recording)

        wrapped.execute = recorded

    def _finish(self, recording: Recording) -> None:
        """The report and the JSON file; a failure here never changes the
        wrapped command's outcome."""
        try:
            stats = recording.to_stats()
            title = f"Signals recorded while running {self.command!r}:"
            text = format_stats(stats, color=self.color, title=title)
            self.stderr.write(text, style_func=_plain)
            if self.json_file is not None:
                with self.json_file:
                    json.dump(stats, self.json_file, indent=1)
                    self.json_file.write("\n")
        except Exception as exc:
            self.stderr.write(f"record_signals: could not write the report: {exc!r}")


def _count(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"a whole number, 0 or more: {value!r}")
    return int(value)


def _plain(text: str) -> str:
    return text


def _open_json(path: str | None) -> IO[str] | None:
    """Opened before the command runs, so a bad path fails before it has any effect."""
    if path is None:
        return None
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"--json: cannot write {path}: {exc.strerror}") from exc


def _load(name: str) -> BaseCommand:
    """The command ``call_command(name)`` would run."""
    try:
        app_name = get_commands()[name]
    except KeyError:
        raise CommandError(f"Unknown command: {name!r}") from None
    if isinstance(app_name, BaseCommand):
        return app_name
    return load_command_class(app_name, name)


def _command_index(tokens: list[str], command: BaseCommand) -> int:
    """Where the wrapped command's name is in record_signals' own arguments:
    the first one that is neither an option nor an option's value."""
    parser = command.create_parser("manage.py", "record_signals")
    # argparse has no public list of its options; _actions has been there always.
    takes_value = {
        option
        for action in parser._actions
        if action.nargs != 0
        for option in action.option_strings
    }
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "--":
            return index + 1
        if not token.startswith("-") or token == "-":
            return index
        index += 2 if token in takes_value else 1
    return index
