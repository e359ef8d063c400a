"""The classic mistakes with signals, found in a recording.

Each finding says what is wrong, where, and a one-line fix. Those in the
process's modules and connections (receiver modules never imported, a
function connected twice, string senders) are ``wiring``'s, found once per
process state; these are found in a recording's stats document when the
stats are built (never on the hot path):

- ``dead_weak``: a weakly connected receiver was garbage-collected.
- ``reentrant_save``: a ``post_save`` receiver saves its instance again.
- ``sql_per_row``: a receiver ran many times, with SQL each time.

Each says whose code it is about (``owner``: the project's, an installed
package's, ...), with a fix that fits (``advice``); the project's come first.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from signal_panel.analysis import advice
from signal_panel.recording.records import DEAD_WEAK, GARBAGE_COLLECTED
from signal_panel.sources.owners import owner_of

POST_SAVE = "django.db.models.signals.post_save"
RECEIVER_MODULES = ("signals", "receivers", "handlers")
# A receiver run this often in one recording, with SQL (nearly) each time,
# is reported: an N+1 often skips its query for a row or two (the root of a
# tree has no parent to update).
RUNS_PER_ROW = 10
QUERIES_PER_RUN = 0.9


def of_recording(
    process_found: list[dict[str, Any]],
    stats: dict[str, Any],
    registry: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Every mistake: the process's (``wiring``, computed once per process
    state) and those seen in the recording of ``stats`` (whose connections
    were ``registry``); the project's own first, then those in installed
    packages; each owner's most serious first."""
    return advice.project_first([*process_found, *recording_findings(stats, registry)])


def recording_findings(
    stats: dict[str, Any], registry: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The mistakes seen in one recording's document (``registry``: the
    connections, for a fix that names them)."""
    return [
        *_dead_weak(stats),
        *_reentrant_saves(stats),
        *_sql_per_row(stats, registry or []),
    ]


def finding(
    kind: str,
    title: str,
    detail: str,
    fix: str,
    signal: str | None = None,
    receiver: str | None = None,
    dispatches: list[int] | None = None,
    owner: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A finding; ``owner``: whose code it is about, None when unknown. A
    caller giving it gives the fix that fits it; else it is the receiver's,
    and an installed package's receiver gets ``advice``'s general fix."""
    if owner is None and receiver is not None:
        owner = owner_of(receiver)
        if advice.in_installed_code(owner):
            fix = advice.installed_fix(owner)
    return {
        "kind": kind,
        "title": title,
        "detail": detail,
        "fix": fix,
        "signal": signal,
        "receiver": receiver,
        "dispatches": dispatches or [],
        "owner": owner,
    }


# The recording ---------------------------------------------------------------


def _dead_weak(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Weak receivers that died before a send of this recording could run
    them. (A dead entry in a signal's connections alone is no mistake:
    Django drops them lazily, and an object may well be gone on purpose.)"""
    dispatches: defaultdict[str, list[int]] = defaultdict(list)
    for dispatch in stats.get("dispatches") or ():
        if any(
            skipped["name"] == GARBAGE_COLLECTED
            for skipped in dispatch.get("not_called") or ()
        ):
            dispatches[dispatch["signal"]].append(dispatch["id"])
    for orphan in stats.get("orphans") or ():
        if any(r["name"] == GARBAGE_COLLECTED for r in orphan.get("receivers") or ()):
            dispatches.setdefault(orphan["signal"], [])
    return [
        finding(
            "dead_weak",
            f"A weak receiver of {signal} died",
            f"A receiver connected to {signal} with weak=True (the default) was "
            f"garbage-collected ({DEAD_WEAK}): a lambda, a function defined "
            "inside another, or a bound method of a temporary object.",
            "Connect a module-level function, keep a reference to the receiver, "
            "or pass weak=False.",
            signal=signal,
            dispatches=ids[:20],
        )
        for signal, ids in dispatches.items()
    ]


# The recording ---------------------------------------------------------------


def _reentrant_saves(stats: dict[str, Any]) -> list[dict[str, Any]]:
    by_id = {d["id"]: d for d in stats.get("dispatches") or ()}
    found = []
    for dispatch in by_id.values():
        parent = by_id.get(dispatch.get("parent"))
        if (
            parent is None
            or dispatch["signal"] != POST_SAVE
            or parent["signal"] != POST_SAVE
            or dispatch["sender"] != parent["sender"]
        ):
            continue
        instance = _kwarg(dispatch, "instance")
        if instance is None or instance != _kwarg(parent, "instance"):
            continue
        if instance.endswith("(pk=None)"):
            continue
        receiver = dispatch.get("parent_receiver") or "a receiver"
        found.append(
            finding(
                "reentrant_save",
                f"Re-entrant save: {receiver}",
                f"{receiver} saves the instance it received ({instance}) again: "
                "post_save is sent once more, from inside its own receiver.",
                "Use a queryset .update() for the change, or guard the receiver "
                "against re-entry (e.g. check update_fields).",
                signal=POST_SAVE,
                receiver=receiver,
                dispatches=[parent["id"], dispatch["id"]],
            )
        )
    return found


def _connected(
    registry: list[dict[str, Any]], signal: str, receiver: str
) -> list[str | None]:
    """The senders ``receiver`` is connected to ``signal`` for (None: any)."""
    return [
        connection.get("sender")
        for entry in registry
        if entry.get("signal") == signal
        for connection in entry.get("receivers") or ()
        if connection.get("name") == receiver
    ]


def _kwarg(dispatch: dict[str, Any], name: str) -> str | None:
    for key, value in dispatch.get("kwargs") or ():
        if key == name:
            return str(value)
    return None


def _sql_per_row(
    stats: dict[str, Any], registry: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Receivers that ran SQL (their own, their tasks', their sends') on
    (nearly) every run; the detail says whose SQL it was."""
    groups = stats.get("groups") or ()
    if not any(
        receiver["queries"]
        or receiver.get("nested_queries")
        or receiver.get("task_queries")
        for group in groups
        for receiver in group["receivers"]
    ):
        return []  # No SQL at all (most requests): nothing to add up.
    sums: dict[tuple[str, str], advice.SqlSums] = {}
    for group in groups:
        for receiver in group["receivers"]:
            key = (group["signal"], receiver["name"])
            sums.setdefault(key, advice.SqlSums()).add(group, receiver)
    found = []
    for (signal, name), each in sums.items():
        runs, total = each.runs, each.own + each.nested + sum(each.tasks.values())
        if runs < RUNS_PER_ROW or total < runs * QUERIES_PER_RUN:
            continue
        owner = owner_of(name)
        split = advice.sql_split(runs, each.own, each.nested, each.tasks)
        fix = (
            advice.sql_per_row_fix(
                owner,
                signal,
                name,
                each.connections(_connected(registry, signal, name)),
            )
            if advice.in_installed_code(owner)
            else "Do the work once for all rows (bulk_create, update(), "
            "prefetch_related), or outside the per-row signal."
        )
        if any(each.tasks.values()):
            fix += (
                " A queueing task backend (not the immediate one) would run its "
                "tasks elsewhere, yet still one per row."
            )
        found.append(
            finding(
                "sql_per_row",
                f"SQL per row in a receiver: {name}",
                f"{name} ran {runs} times on {signal} in this recording, with "
                f"{total} queries ({advice.per_run(total, runs)} per run): an N+1 "
                "inside a signal receiver." + (f" {split}" if split else ""),
                fix,
                signal=signal,
                receiver=name,
                owner=owner,
            )
        )
    return found
