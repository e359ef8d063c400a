"""Whose code a finding is about, and a fix its reader can apply.

A mistake in the project's own code is the user's to fix. One in an
installed package's (or Django's) code is not: its finding names the
distribution and its version, and its advice is what the user can do from
the outside (batch the operation that triggers the receiver, disconnect or
override it, report it upstream). Findings about the toolbar's own code are
dropped: they are not the user's to act on, nor about the user's code.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from signal_panel.sources.owners import DJANGO, PACKAGE, TOOLBAR, describe_owner, rank

# Owners whose code the user does not own: their findings come after the
# project's, in a group of their own.
INSTALLED = (PACKAGE, DJANGO)


def in_installed_code(owner: dict[str, Any] | None) -> bool:
    return (owner or {}).get("kind") in INSTALLED


# The kinds of findings, most serious first.
SERIOUSNESS = (
    "unimported",
    "connected_twice",
    "string_sender",
    "dead_weak",
    "reentrant_save",
    "sql_per_row",
)


def project_first(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings the user can act on, the project's own first, each
    owner's most serious first (in their given order within a kind); the
    toolbar's none."""
    kept = [f for f in found if (f.get("owner") or {}).get("kind") != TOOLBAR]
    return sorted(kept, key=lambda f: (rank(f.get("owner")), _seriousness(f)))


def _seriousness(finding: dict[str, Any]) -> int:
    kind = finding.get("kind")
    return SERIOUSNESS.index(kind) if kind in SERIOUSNESS else len(SERIOUSNESS)


def whose(owner: dict[str, Any]) -> str:
    """ "pagesearch 1.4.2's", "Django 5.2.9's"."""
    return f"{describe_owner(owner)}'s"


def upstream(owner: dict[str, Any]) -> str:
    return str(owner.get("distribution") or "its maintainers")


def short(dotted: str) -> str:
    return dotted.rsplit(".", 1)[-1]


def disconnect_call(signal: str, receiver: str, senders: list[str | None]) -> str:
    """``post_delete.disconnect(remove_from_index, sender=Page)``, one per
    connection in ``senders`` (None: connected for any sender); Django
    disconnects a connection only with the sender it was connected for."""
    calls = [
        f"`{short(signal)}.disconnect({short(receiver)}"
        + (f", sender={short(sender)})`" if sender else ")`")
        for sender in senders or [None]
    ]
    return calls[0] if len(calls) == 1 else ", ".join(calls[:-1]) + " and " + calls[-1]


def sql_per_row_fix(
    owner: dict[str, Any], signal: str, receiver: str, senders: list[str | None]
) -> str:
    """What the user can do about a package's receiver running SQL per row,
    connected for ``senders`` (see :func:`disconnect_call`)."""
    name = short(signal)
    disconnect = disconnect_call(signal, receiver, senders)
    if name in ("post_save", "pre_save"):
        what = (
            f"Batch what triggers it: bulk_create() and a queryset .update() send "
            f"no {name}; or disconnect it ({disconnect}) around the bulk "
            "operation. Then do its work once for all rows yourself."
        )
    elif name in ("post_delete", "pre_delete"):
        what = (
            f"Deleting sends {name} once per row, even from one queryset "
            f".delete(): disconnect it ({disconnect}) around a large delete and "
            "do its work once for all rows yourself."
        )
    else:
        what = (
            f"Batch the operation that sends {name}, or disconnect it "
            f"({disconnect}) around the bulk operation and do its work once "
            "for all rows yourself."
        )
    return (
        f"{whose(owner)} receiver, not your code. {what} Or override it with a "
        f"batched version, or report it upstream to {upstream(owner)}."
    )


def unimported_fix(owner: dict[str, Any], module: str) -> str:
    """An installed package's receiver module nothing imported."""
    return (
        f"{whose(owner)} module, not your code: if you need its receivers, "
        f"import it in one of your apps' AppConfig.ready() (`import {module}  "
        f"# noqa: F401`), and report it upstream to {upstream(owner)}."
    )


def connected_twice_fix(owner: dict[str, Any], receiver: str) -> str:
    module = receiver.rsplit(".", 1)[0]
    return (
        f"{whose(owner)} receiver, not your code: check that your code imports "
        f"{module} under one name only; if it does, report it upstream to "
        f"{upstream(owner)}."
    )


def installed_fix(owner: dict[str, Any]) -> str:
    """Any other mistake in a package's receiver."""
    return (
        f"{whose(owner)} receiver, not your code: disconnect it or override it "
        f"with a corrected one, and report it upstream to {upstream(owner)}."
    )


def per_run(count: float, runs: int) -> str:
    """``count / runs`` to one decimal, without a trailing ``.0``."""
    text = f"{count / runs:.1f}"
    return text.removesuffix(".0")


def sql_split(runs: int, own: int, nested: int, tasks: dict[str, int]) -> str | None:
    """Whose SQL a receiver's runs ran, per run: "3 of its 8 queries per run
    are its own; 5 run in task X, which it enqueued ..."; None when all of
    it is its own."""
    total = own + nested + sum(tasks.values())
    if own == total:
        return None
    parts = [
        f"{per_run(own, runs)} of its {per_run(total, runs)} queries per run are "
        "its own"
        if own
        else f"none of its {per_run(total, runs)} queries per run are its own"
    ]
    parts.extend(
        f"{per_run(count, runs)} run in task {task}, which it enqueued and an "
        "immediate task backend ran inline"
        for task, count in tasks.items()
        if count
    )
    if nested:
        parts.append(f"{per_run(nested, runs)} run in receivers of signals it sent")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


class SqlSums:
    """A receiver's runs and SQL on one signal, over its groups."""

    def __init__(self) -> None:
        self.runs = self.own = self.nested = 0
        self.tasks: Counter[str] = Counter()
        self.senders: set[str] = set()

    def add(self, group: dict[str, Any], receiver: dict[str, Any]) -> None:
        self.runs += receiver.get("runs", group["count"])
        self.own += receiver["queries"]
        # Older documents: no nested sums; "queries" held their tasks' SQL.
        self.nested += receiver.get("nested_queries") or 0
        for task in receiver.get("task_queries") or ():
            self.tasks[task["task"]] += task["count"]
        self.senders.add(group["sender"])

    def connections(self, connected_for: list[str | None]) -> list[str | None]:
        """The connections to disconnect it from: of those it is connected
        with (``connected_for``, None: any sender; unknown if empty), the one
        for any sender, else those of the senders that ran it."""
        if None in connected_for:
            return [None]
        ran = sorted(self.senders)
        return [s for s in ran if s in connected_for] or list(ran)
