"""Template filters for the panel's templates: the dispatch rows' markup of a
name or a source location, made once, in :mod:`signal_panel.view.markup.shared`.

- ``{{ name|breakable }}``: a dotted name, escaped, that wraps after a dot;
- ``{{ location|source }}``: ``short/path.py:12``, a link to the editor or
  code, the full path on hover.

Both escape what they are given and return markup made by ``format_html``
from literal format strings (``tests/view/test_safe_html.py``).
"""

from __future__ import annotations

from django import template

from signal_panel.view.markup.shared import breakable, source

register = template.Library()
register.filter("breakable", breakable)
register.filter("source", source)
