"""The findings' markup, shown at the top of the panel: each mistake's title,
whose code it is, detail and one-line fix, with buttons to what it concerns
(a dispatch's row, a receiver in the Registry tab). The project's own come
first; those in installed packages' code follow in a collapsed group.

Built with ``format_html`` from literal format strings, as
:mod:`signal_panel.view.markup.labels` explains: every value goes through
``conditional_escape`` unless it is markup built here.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from signal_panel.view.findings import Finding
from signal_panel.view.markup.labels import NOTHING, Labels, join, repeat

LIST = '<ul class="djdt-sp-findings-own">{}</ul>'
INSTALLED_GROUP = (
    '<details class="djdt-sp-findings-installed">'
    '<summary class="djdt-sp-findings-installed-summary">{}</summary>'
    "<ul>{}</ul></details>"
)
FINDING = (
    '<li class="djdt-sp-finding" data-sp-kind="{kind}" data-sp-owner="{owner_kind}">'
    '<p><strong class="djdt-sp-finding-title">{title}</strong>{owner}'
    ' <span class="djdt-sp-finding-detail">{detail}</span></p>'
    '<p class="djdt-sp-finding-fix"><strong>{fix_label}</strong> {fix}{links}</p>'
    "</li>"
)
LINKS = ' <span class="djdt-sp-finding-links">{}</span>'
JUMP = (
    '<button type="button" class="djdt-sp-jump" data-sp-target="{}">'
    "#{} <code>{}</code></button>"
)
NOT_KEPT = ' <span class="djdt-sp-tag">#{} ({})</span>'
REGISTRY_LINK = (
    '<button type="button" class="djdt-sp-registry-link"'
    ' data-sp-signal="{}" data-sp-receiver="{}">{}</button>'
)


OWNER = ' <span class="djdt-sp-tag djdt-sp-finding-owner" title="{}">{}</span>'


def finding_items(findings: list[Finding], labels: Labels) -> SafeString:
    """The list of the project's findings (and those whose owner is not
    said), then a collapsed group of those in installed packages' code."""
    own = [finding for finding in findings if not finding.installed]
    installed = [finding for finding in findings if finding.installed]
    html = format_html(LIST, join(_finding(f, labels) for f in own)) if own else NOTHING
    if installed:
        names = list(dict.fromkeys(finding.owner for finding in installed))
        summary = ngettext(
            "%(count)s finding in installed packages: %(names)s",
            "%(count)s findings in installed packages: %(names)s",
            len(installed),
        ) % {"count": len(installed), "names": ", ".join(names)}
        html += format_html(
            INSTALLED_GROUP, summary, join(_finding(f, labels) for f in installed)
        )
    return html


def _owner(finding: Finding) -> SafeString:
    """Whose code the finding is about, as a tag after its title."""
    if not finding.owner:
        return NOTHING
    if finding.owner_kind == "project":
        name, tip = gettext("your code"), gettext("In your project's own code")
    else:
        name = finding.owner
        tip = gettext("In %(name)s's code, not yours") % {"name": finding.owner}
    return format_html(OWNER, tip, name)


def _finding(finding: Finding, labels: Labels) -> SafeString:
    return format_html(
        FINDING,
        kind=finding.kind,
        owner_kind=finding.owner_kind,
        title=finding.title,
        owner=_owner(finding),
        detail=finding.detail,
        fix_label=labels.fix,
        fix=finding.fix,
        links=_links(finding, labels),
    )


def _links(finding: Finding, labels: Labels) -> SafeString:
    """Buttons to the dispatches concerned and to the Registry tab."""
    links = repeat(JUMP, [(ident, ident, name) for ident, name in finding.dispatches])
    links += repeat(NOT_KEPT, [(ident, labels.not_kept) for ident in finding.not_kept])
    if finding.in_registry:
        links += format_html(
            REGISTRY_LINK, finding.signal, finding.receiver, labels.show_in_registry
        )
    return format_html(LINKS, links) if links else NOTHING
