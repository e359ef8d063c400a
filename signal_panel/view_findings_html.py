"""The findings' markup, shown at the top of the panel: each mistake's title,
detail and one-line fix, with buttons to what it concerns (a dispatch's row,
a receiver in the Registry tab).

Built with ``format_html`` from literal format strings, as
:mod:`signal_panel.view_html` explains: every value goes through
``conditional_escape`` unless it is markup built here.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString

from signal_panel.view_findings import Finding
from signal_panel.view_html import NOTHING, Labels, join, repeat

FINDING = (
    '<li class="djdt-sp-finding" data-sp-kind="{kind}">'
    '<p><strong class="djdt-sp-finding-title">{title}</strong>'
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


def finding_items(findings: list[Finding], labels: Labels) -> SafeString:
    """The ``<li>`` of each finding, for the list at the top of the panel."""
    return join(_finding(finding, labels) for finding in findings)


def _finding(finding: Finding, labels: Labels) -> SafeString:
    return format_html(
        FINDING,
        kind=finding.kind,
        title=finding.title,
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
