"""The "Common mistakes" page: six classic mistakes with signals, all made
in one request, for the Signals panel to report at its top.

Four of them belong to the request: a weak receiver that dies before the
send, a ``post_save`` receiver saving its instance again, a ``post_init``
receiver running a query per ticket, and the send that nothing receives
because its receivers module was never imported. Two live in the process's
signal connections (a module imported under two names, a string sender on
a plain ``Signal``): in a real project they happen at start-up and every page
reports them. This page makes them for its own request and undoes them once
its response is closed (after ``request_finished``, when the panel has
stored its findings for the last time), so the other pages stay clean. The
never-imported module is the project's mistake: every page reports it.

The page's "Clear the queue" button (a POST) first deletes every ticket and
puts the samples back: pagesearch 1.4.2, an installed package indexing the
tickets, runs a query per deleted ticket in its ``post_delete`` receiver. The
panel reports that one apart, in a collapsed group of installed packages'
findings below the project's own, with advice for code that is not yours.
"""

import importlib.util
import itertools
from collections.abc import Callable
from types import ModuleType
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

from demo.mistakes import escalation, listeners
from demo.mistakes.models import SAMPLE_TITLES, Ticket, restore_samples
from demo.mistakes.signals import (
    ticket_assigned,
    ticket_closed,
    ticket_escalated,
    ticket_opened,
)

# The name listeners.py gets when the project's directory is on sys.path too.
OTHER_NAME = "mistakes.listeners"
LISTED = 12
TITLES = itertools.cycle(
    ["Printer on fire", "VPN drops at noon", "Coffee machine says 418"]
)


class Pager:
    """Pages someone about a ticket; connected through a bound method."""

    def __init__(self, person: str) -> None:
        self.person = person

    def page(self, sender: type[Ticket], ticket: Ticket, **kwargs: Any) -> str:
        return f"Paged {self.person} about {ticket.title!r}"


class UndoWhenClosed(HttpResponse):
    """A response that runs ``undo`` once it is closed: after Django has sent
    ``request_finished`` and the panel has stored the request's findings."""

    def __init__(self, content: str, undo: Callable[[], None]) -> None:
        super().__init__(content)
        self.undo: Callable[[], None] | None = undo

    def close(self) -> None:
        try:
            super().close()
        finally:
            undo, self.undo = self.undo, None
            if undo is not None:
                undo()


def import_under_another_name() -> ModuleType:
    """listeners.py run again as another module, as ``import
    mistakes.listeners`` would with the project's directory on sys.path."""
    spec = importlib.util.spec_from_file_location(OTHER_NAME, listeners.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # its @receiver connects a second function
    return module


def make_process_wide_mistakes() -> Callable[[], None]:
    """Mistakes 2 and 4, for this request; returns what undoes them."""
    again = import_under_another_name()
    escalation.connect()

    def undo() -> None:
        ticket_closed.disconnect(again.thank_reporter)
        escalation.disconnect()

    return undo


@transaction.atomic
def clear_queue() -> int:
    """Delete every ticket (one post_delete each), then put the samples back;
    how many were deleted."""
    _, deleted = Ticket.objects.all().delete()
    restore_samples()
    return deleted.get(Ticket._meta.label, 0)


@require_http_methods(["GET", "POST"])
def common_mistakes(request: HttpRequest) -> HttpResponse:
    cleared = None
    if request.method == "POST" and request.POST.get("action") == "clear":
        cleared = clear_queue()
    undo = make_process_wide_mistakes()
    try:
        # 5: post_save's receiver fill_slug saves the ticket again.
        ticket = Ticket.objects.create(title=next(TITLES))
        # 1: receivers.py, never imported, would have received this.
        ticket_opened.send(sender=Ticket, ticket=ticket)
        # 3: a bound method of a temporary object, connected weakly (the
        # default): the Pager is gone before the send.
        ticket_assigned.connect(Pager("Margaret").page)
        ticket_assigned.send(sender=Ticket, ticket=ticket)
        # 4: page_on_call is connected for sender "mistakes.Ticket", a string.
        ticket_escalated.send(sender=Ticket, ticket=ticket)
        # 2: thank_reporter, connected twice, runs twice.
        ticket_closed.send(sender=Ticket, ticket=ticket)
        # 6: count_duplicates runs a query for each ticket loaded.
        tickets = list(Ticket.objects.all()[:LISTED])
        content = render_to_string(
            "mistakes/common_mistakes.html",
            {
                "ticket": ticket,
                "tickets": tickets,
                "cleared": cleared,
                "samples": len(SAMPLE_TITLES),
            },
            request=request,
        )
    except BaseException:
        undo()
        raise
    return UndoWhenClosed(content, undo)
