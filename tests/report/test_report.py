"""The text report: a recording drawn as a tree, from its stats document."""

import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from debug_toolbar.store import serialize
from django.dispatch import Signal

from signal_panel import record_signals
from signal_panel.conf import Config
from signal_panel.report import format_stats, wants_color
from signal_panel.report.lines import MAX_WRAPPED, columns
from tests.testapp.models import Article
from tests.testapp.signals import article_published, robust_signal

nobody_listens = Signal()
troubled = Signal()
long_named = Signal()

WIDE = 200  # Wide enough that nothing is cut, for tests about content.


@pytest.fixture(autouse=True)
def terminal_of_100_columns(monkeypatch):
    """A report is as wide as the terminal that runs the tests (under
    pytest-xdist, a worker's): each test here sees 100 columns, unless it
    sets its own."""
    monkeypatch.setenv("COLUMNS", "100")


def tree(text: str) -> list[str]:
    """The tree's lines without their two time columns."""
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.endswith("took ms"))
    offset = len(lines[header]) + 2
    rows = []
    for line in lines[header + 1 :]:
        if line[:1].isalpha():  # The summary blocks after the tree.
            break
        rows.append(line[offset:])
    return rows


def block(text: str, title: str) -> list[str]:
    """The lines of one summary block, after its title."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    rows = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        rows.append(line)
    return rows


def for_a(sender, **kwargs):
    return "a"


def for_b(sender, **kwargs):
    return "b"


def also_for_b(sender, **kwargs):
    return "b"


def raise_with_controls(sender, **kwargs):
    raise ValueError("first line\nsecond \x1b[31mred\x1b[0m \u202eevil")


def a_receiver_whose_name_is_far_too_long_to_fit_in_one_line_of_the_report(
    sender, **kwargs
):
    return "short"


class TestTree:
    def test_nested_dispatches_sit_under_the_receiver_that_sent_them(self, db):
        with record_signals() as recording:
            Article.objects.create(title="Hello")

        assert tree(recording.report(width=WIDE)) == [
            "django.db.models.signals.post_save  sender=testapp.Article  created=True",
            "  > tests.testapp.receivers.comment_on_new_article"
            "  1 query (+1 nested)  -> None",
            "    django.db.models.signals.post_save  sender=testapp.Comment"
            "  created=True",
            "      > tests.testapp.receivers.audit_comment  1 query  -> 'audited'",
            "      - tests.testapp.receivers.comment_on_new_article"
            "  not called: connected for another sender (testapp.Article)",
            "  - tests.testapp.receivers.audit_comment"
            "  not called: connected for another sender (testapp.Comment)",
        ]

    def test_each_row_starts_with_its_offset_and_duration_in_ms(self, db):
        with record_signals() as recording:
            Article.objects.create(title="Hello")
        stats = recording.to_stats()

        lines = format_stats(stats).splitlines()
        header = next(i for i, line in enumerate(lines) if line.endswith("took ms"))
        outer, inner = stats["dispatches"]
        rows = [lines[header + n].split()[:2] for n in (1, 2, 3, 4)]
        in_order = [outer, outer["receivers"][0], inner, inner["receivers"][0]]
        assert rows == [
            [f"{item['start_ms']:.3f}", f"{item['duration_ms']:.3f}"]
            for item in in_order
        ]

    def test_errors_show_the_exception_and_what_propagated(self):
        with record_signals() as recording:
            robust_signal.send_robust(sender=None)
            with pytest.raises(ValueError):
                robust_signal.send(sender=None)

        assert tree(recording.report(width=WIDE)) == [
            "tests.testapp.signals.robust_signal  sender=None  [send_robust]",
            "  ! tests.testapp.receivers.fragile  ValueError: fragile receiver broke",
            "  > tests.testapp.receivers.sturdy  -> 'sturdy ok'",
            "tests.testapp.signals.robust_signal  sender=None"
            "  raised ValueError: fragile receiver broke",
            "  ! tests.testapp.receivers.fragile  ValueError: fragile receiver broke",
            "  - tests.testapp.receivers.sturdy"
            "  not called: not reached: an earlier receiver raised",
        ]
        summary = recording.report().splitlines()[0]
        assert summary.startswith("Signals: 2 dispatches, ")
        assert ", 2 errors, " in summary

    def test_receivers_not_called_for_one_reason_share_a_line(self):
        troubled.connect(for_a, sender="a")
        troubled.connect(for_b, sender="b")
        troubled.connect(also_for_b, sender="b")
        try:
            with record_signals() as recording:
                troubled.send(sender="a")
        finally:
            troubled.disconnect(for_a, sender="a")
            troubled.disconnect(for_b, sender="b")
            troubled.disconnect(also_for_b, sender="b")

        assert tree(recording.report(width=WIDE)) == [
            "tests.report.test_report.troubled  sender='a'",
            "  > tests.report.test_report.for_a  -> 'a'",
            "  - 2 not called: connected for another sender: "
            "tests.report.test_report.for_b, tests.report.test_report.also_for_b",
        ]

    def test_orphans_are_counted_per_signal(self):
        with record_signals() as recording:
            for sender in ("a", "a", "b", "a"):
                nobody_listens.send(sender=sender)

        text = recording.report()
        assert re.fullmatch(
            r"Signals: 0 dispatches, 4 sends with no receivers, [\d.]+ ms in all",
            text.splitlines()[0],
        )
        assert block(text, "Sent with no receivers:") == [
            "  tests.report.test_report.nobody_listens  4 sends: 'a' ×3, 'b' ×1"  # noqa: RUF001
        ]

    def test_orphan_senders_alike_in_name_add_up(self):
        # As the model classes each migration builds: distinct, same name.
        twins = [type("Twin", (), {"__module__": __name__}) for _ in range(2)]
        with record_signals() as recording:
            for twin in twins:
                nobody_listens.send(sender=twin)

        assert block(recording.report(), "Sent with no receivers:") == [
            "  tests.report.test_report.nobody_listens  2 sends:"
            " tests.report.test_report.Twin ×2"  # noqa: RUF001
        ]

    def test_groups_beyond_the_detail_cap_are_summed_up(self):
        config = Config(detailed_per_group=2)
        with record_signals(config) as recording:
            for index in range(7):
                article_published.send(sender=None, title=f"t{index}")

        text = recording.report(width=WIDE)
        kept = len(tree(text)) // 2  # A row for the dispatch, one for its receiver.
        assert kept in (2, 3)  # The first two, and the slowest if it came later.
        assert text.startswith(f"Signals: 7 dispatches ({kept} in detail), ")
        [group] = recording.to_stats()["groups"]
        header, row = block(text, "Counted only, beyond the detail cap:")
        assert header.split() == ["sends", "kept", "total", "ms", "max", "ms"]
        assert row.split() == [
            "7",
            str(kept),
            f"{group['total_ms']:.3f}",
            f"{group['max_ms']:.3f}",
            "tests.testapp.signals.article_published",
            "sender=None",
        ]

    def test_nothing_sent(self):
        with record_signals() as recording:
            pass

        assert recording.report() == "No signal was sent."


class TestSameTextEverywhere:
    def test_a_live_recording_and_its_json_give_the_same_text(self, db):
        with record_signals(Config(detailed_per_group=1)) as recording:
            # Nested saves; receivers not called; an error; beyond the cap
            # (the first of 3 sends kept, and the slowest if it came later).
            for title in ("one", "two", "three"):
                Article.objects.create(title=title)
            robust_signal.send_robust(sender=None)
            nobody_listens.send(sender="x")

        live = recording.report()
        stats = json.loads(json.dumps(recording.to_stats()))
        assert format_stats(stats) == live
        # As django-debug-toolbar's store writes it (tuples become lists...).
        assert format_stats(json.loads(serialize(recording.to_stats()))) == live
        for expected in ("Counted only", "Sent with no receivers:", "! tests."):
            assert expected in live


class TestTerminal:
    def test_plain_text_unless_colour_is_asked_for(self):
        with record_signals() as recording:
            robust_signal.send_robust(sender=None)

        assert "\x1b" not in recording.report()
        coloured = recording.report(color=True)
        assert "\x1b[1;31mValueError: fragile receiver broke\x1b[0m" in coloured

    def test_colour_only_on_a_terminal(self, monkeypatch):
        monkeypatch.delenv("NO_COLOR", raising=False)
        monkeypatch.setenv("TERM", "xterm")
        main, secondary = pty.openpty()
        with os.fdopen(secondary, "w") as terminal:
            assert wants_color(terminal)
            assert not wants_color(io.StringIO())
            with open(os.devnull, "w") as not_a_terminal:
                assert not wants_color(not_a_terminal)

            monkeypatch.setenv("NO_COLOR", "1")
            assert not wants_color(terminal)
            monkeypatch.delenv("NO_COLOR")
            monkeypatch.setenv("TERM", "dumb")
            assert not wants_color(terminal)
        os.close(main)

    def test_control_characters_in_recorded_values_are_escaped(self):
        troubled.connect(raise_with_controls)
        try:
            with record_signals() as recording:
                troubled.send_robust(sender=None)
        finally:
            troubled.disconnect(raise_with_controls)

        text = recording.report(width=WIDE)
        assert "\x1b" not in text and "\u202e" not in text
        assert tree(text)[1] == (
            "  ! tests.report.test_report.raise_with_controls"
            "  ValueError: first line\\n"
            "second \\x1b[31mred\\x1b[0m \\u202eevil"
        )

    def test_lines_fit_100_columns_with_long_names_cut_in_the_middle(self):
        receiver = (
            a_receiver_whose_name_is_far_too_long_to_fit_in_one_line_of_the_report
        )
        long_named.connect(receiver)
        try:
            with record_signals() as recording:
                long_named.send(sender=None, payload="x" * 150)
                long_named.send(sender="界" * 60)  # Two columns each.
        finally:
            long_named.disconnect(receiver)

        text = recording.report()
        assert max(columns(line) for line in text.splitlines()) <= 100
        rows = tree(text)
        name_rows = [row for row in rows if "> tests.report.test_report.a_" in row]
        assert len(name_rows) == 2
        # Cut in the middle: the module's head and the function's tail stay.
        assert "…" in name_rows[0] and "of_the_report  -> 'short'" in name_rows[0]
        # The sender is cut before the signal's name.
        wide_sender = rows[2]
        assert wide_sender.startswith("tests.report.test_report.long_named  sender='界")
        assert "…" in wide_sender


class TestDocuments:
    """Stored documents of other versions, or damaged, render what they can."""

    def test_missing_and_unknown_fields_are_tolerated(self):
        stats = {
            "version": 1,
            "dispatches": [
                {"id": 1, "signal": "app.signals.ping", "future_field": {"x": 1}},
                {"id": 2, "parent": 1, "signal": "app.signals.pong", "receivers": "?"},
                "not a dispatch",
                {
                    "id": 3,
                    "signal": "app.signals.pang",
                    "receivers": [
                        {
                            "name": "app.receivers.r",
                            "start_ms": "soon",
                            "queries": None,
                        },
                    ],
                    "not_called": ["app.receivers.gone", {"reason": 7}],
                },
            ],
            "groups": None,
            "orphans": [{"signal": "app.signals.lonely"}],
            "findings": [{"what": "a field from a later version"}],
        }

        text = format_stats(stats, width=WIDE)
        assert tree(text) == [
            "app.signals.ping  sender=",
            "    app.signals.pong  sender=",
            "app.signals.pang  sender=",
            "  > app.receivers.r",
            "  - app.receivers.gone  not called",
            "  -   not called: 7",
        ]
        assert block(text, "Sent with no receivers:") == [
            "  app.signals.lonely  0 sends:  ×0"  # noqa: RUF001
        ]

    def test_an_empty_or_foreign_document(self):
        assert format_stats({}) == "No signal was sent."
        assert format_stats({"version": 3}).splitlines() == [
            "(a version 3 stats document; this signal_panel reads version 2: "
            "shown as far as understood)",
            "No signal was sent.",
        ]

    def test_recorder_failures_say_the_recording_is_incomplete(self):
        stats = {"version": 1, "failures": [f"KeyError: {n}" for n in range(12)]}

        assert format_stats(stats).splitlines()[1:] == [
            "The recording is incomplete: the recorder failed 12 times "
            "(the recorded code was not affected):",
            *(f"  KeyError: {n}" for n in range(10)),
            "  … and 2 more",
        ]

    def test_a_cycle_of_parents_is_shown_once(self):
        stats = {
            "version": 1,
            "dispatches": [
                {"id": 1, "parent": 2, "signal": "a"},
                {"id": 2, "parent": 1, "signal": "b"},
            ],
        }

        assert tree(format_stats(stats)) == [
            "    a  sender=",
            "        b  sender=",
        ]

    def test_a_dispatch_sent_while_two_async_receivers_ran_follows_them(self):
        receivers = [
            {"name": "one", "start_ms": 1.0, "duration_ms": 5.0, "result": "None"},
            {"name": "two", "start_ms": 1.1, "duration_ms": 5.0, "result": "None"},
        ]
        stats = {
            "version": 1,
            "dispatches": [
                {"id": 1, "signal": "outer", "method": "asend", "receivers": receivers},
                {"id": 2, "parent": 1, "signal": "inner", "start_ms": 2.0},
            ],
        }

        assert tree(format_stats(stats)) == [
            "outer  sender=  [asend]",
            "  > one  -> None",
            "  > two  -> None",
            "    inner  sender=",
        ]

    def test_markers_separate_the_dispatches_sent_after_them(self):
        stats = {
            "version": 1,
            "dispatches": [
                {"id": 1, "signal": "first", "start_ms": 1.0},
                {"id": 2, "signal": "nested", "parent": 1, "start_ms": 2.0},
                {"id": 3, "signal": "second", "start_ms": 5.0},
            ],
        }
        markers = [(0.0, "setup"), (3.0, "call"), (4.0, "teardown"), (9.0, "end")]

        lines = format_stats(stats, markers=markers).splitlines()
        assert [line.strip() for line in lines[2:]] == [
            "-- setup --",
            "1.000           first  sender=",
            "2.000               nested  sender=",
            # Nothing was sent in "call"; nothing after "end".
            "-- teardown --",
            "5.000           second  sender=",
        ]


def on_a_string_sender(sender, **kwargs):
    return "never"


@pytest.fixture
def string_sender():
    """A finding: a receiver of a plain signal connected for sender="app.Model"."""
    article_published.connect(on_a_string_sender, sender="testapp.Article")
    yield
    article_published.disconnect(on_a_string_sender, sender="testapp.Article")


def finding(title, detail="The detail.", fix="The fix.", **more):
    return {"kind": "k", "title": title, "detail": detail, "fix": fix, **more}


class TestFindings:
    def test_findings_follow_the_summary_line(self, string_sender):
        with record_signals() as recording:
            article_published.send(sender=None, title="x")
        [found] = recording.to_stats()["findings"]

        lines = recording.report(width=400).splitlines()
        assert lines[0].startswith("Signals: 1 dispatch, ")
        assert lines[1:5] == [
            "Findings (1):",
            f"  ! {found['title']}",
            f"      {found['detail']}",
            f"      fix: {found['fix']}",
        ]
        assert found["title"].startswith("String sender on a plain Signal: ")

    def test_installed_packages_come_after_the_project_own(self):
        stats = {
            "version": 1,
            "summary": {"dispatches": 0, "orphans": 1},
            "findings": [
                finding("In a package", owner={"kind": "package", "version": "2.0"}),
                finding("Ours", owner={"kind": "project"}),
                finding(
                    "In Django",
                    owner={"kind": "django", "distribution": "Django"},
                ),
                finding("Old document, no owner", detail=None, fix=7),
                {"kind": "from a later version, no title"},
            ],
        }

        lines = format_stats(stats, width=WIDE).splitlines()
        assert lines[1:] == [
            "Findings (4):",
            "  ! Ours",
            "      The detail.",
            "      fix: The fix.",
            "  ! Old document, no owner",
            "      fix: 7",
            "  In installed packages:",
            "  ! In a package (2.0)",
            "      The detail.",
            "      fix: The fix.",
            "  ! In Django (Django)",
            "      The detail.",
            "      fix: The fix.",
        ]


PROSE = (
    "connected for another sender (testapp.Comment) which this particular "
    "dispatch never mentioned, although several receivers expected otherwise"
)


def words_of(text: str) -> set[str]:
    return set(re.findall(r"[\w.()]+", text))


class TestWidth:
    def test_reasons_and_findings_are_wrapped_never_cut_mid_word(self):
        stats = {
            "version": 1,
            "summary": {"dispatches": 1},
            "findings": [finding(PROSE, detail=PROSE, fix=PROSE)],
            "dispatches": [
                {
                    "id": 1,
                    "signal": "app.signals.ping",
                    "not_called": [
                        {"name": "app.receivers.one", "reason": PROSE},
                        {"name": "app.receivers.two", "reason": PROSE + " too"},
                        {"name": "app.receivers.three", "reason": PROSE + " too"},
                    ],
                }
            ],
            "failures": [PROSE],
        }

        for width in (60, 72, 100):
            text = format_stats(stats, width=width)
            lines = text.splitlines()
            assert max(map(columns, lines)) <= width
            assert "…" not in text
            # Each prose whole, in order: no word cut, none split across rows.
            flowing = " ".join(text.split())
            for whole in (
                f"! {PROSE} {PROSE} fix: {PROSE}",
                f"app.receivers.one not called: {PROSE} - 2 not called: {PROSE} too: "
                "app.receivers.two, app.receivers.three",
                f"was not affected): {PROSE}",
            ):
                assert whole in flowing

    def test_a_long_list_of_names_not_called_ends_after_a_whole_name(self):
        names = [f"app.receivers.for_sender_{n}" for n in range(50)]
        stats = {
            "version": 1,
            "dispatches": [
                {
                    "id": 1,
                    "signal": "app.signals.ping",
                    "not_called": [{"name": n, "reason": "elsewhere"} for n in names],
                }
            ],
        }

        rows = tree(format_stats(stats, width=80))
        assert rows[1] == "  - 50 not called: elsewhere: app.receivers.for_sender_0,"
        assert len(rows) == 1 + MAX_WRAPPED
        *listed, last = " ".join(row.strip() for row in rows[2:]).split(", ")
        assert last == "…" or (last.endswith(",…") and last[:-2] in names)
        assert listed == names[1 : len(listed) + 1]

    def test_a_message_that_must_be_cut_is_cut_after_a_whole_word(self):
        message = "the warehouse refused the reservation for order 12345678 " * 3
        stats = {
            "version": 1,
            "dispatches": [
                {
                    "id": 1,
                    "signal": "app.signals.ping",
                    "receivers": [
                        {"name": "app.r", "error": {"type": "E", "message": message}}
                    ],
                }
            ],
        }

        for width in range(60, 100, 7):
            row = tree(format_stats(stats, width=width))[1]
            assert row.endswith("…"), row
            kept = row.removeprefix("  ! app.r  E: ").removesuffix("…")
            assert message.startswith(kept) and message[len(kept)] == " "

    def test_the_width_follows_the_terminal(self, monkeypatch, string_sender):
        with record_signals() as recording:
            article_published.send(sender=None, title="x")
        monkeypatch.setenv("COLUMNS", "160")
        wide = recording.report().splitlines()
        monkeypatch.setenv("COLUMNS", "100")
        narrow = recording.report().splitlines()

        assert 100 < max(map(columns, wide)) <= 160
        assert max(map(columns, narrow)) <= 100
        assert len(narrow) > len(wide)  # The finding's detail wrapped.

    @pytest.mark.parametrize("columns_set, width", [(None, 100), ("160", 160)])
    def test_100_columns_only_when_the_terminal_is_unknown(self, columns_set, width):
        # A fresh process whose output is a pipe: no terminal to ask.
        env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
        if columns_set:
            env["COLUMNS"] = columns_set
        found = subprocess.run(
            [
                sys.executable,
                "-c",
                "from signal_panel.report import terminal_width; "
                "print(terminal_width())",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert found.stdout.strip() == str(width)
