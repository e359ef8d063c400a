"""Settings of the site the browser tests serve: the demo site, plus

- the strict Content-Security-Policy middleware (``?csp=strict``),
- ``USE_SHADOW_DOM`` from ``SIGNAL_PANEL_SHADOW_DOM`` ("1" or "0"),
- ``RENDER_PANELS`` from ``SIGNAL_PANEL_RENDER_PANELS`` ("1": panels rendered
  with the page instead of fetched when opened),
- an editor URL, so call sites render as links,
- the History panel first in the toolbar (the demo already has it),
- the toolbar's store from ``SIGNAL_PANEL_STORE`` (a class path), if set,
- ``UPDATE_ON_FETCH``: the toolbar shows the request a page's ``fetch()`` made,
- a streamed response that the test ends (``tests.browser.site_urls``).
"""

import os

from demo.settings import *  # noqa: F403
from demo.settings import DEBUG_TOOLBAR_CONFIG, DEBUG_TOOLBAR_PANELS, MIDDLEWARE

ROOT_URLCONF = "tests.browser.site_urls"
MIDDLEWARE = [*MIDDLEWARE, "tests.browser.csp.StrictCSPMiddleware"]

HISTORY = "debug_toolbar.panels.history.HistoryPanel"
DEBUG_TOOLBAR_PANELS = [HISTORY, *(p for p in DEBUG_TOOLBAR_PANELS if p != HISTORY)]
DEBUG_TOOLBAR_CONFIG = {
    **DEBUG_TOOLBAR_CONFIG,
    "USE_SHADOW_DOM": os.environ.get("SIGNAL_PANEL_SHADOW_DOM", "1") == "1",
    "RENDER_PANELS": os.environ.get("SIGNAL_PANEL_RENDER_PANELS") == "1",
    "UPDATE_ON_FETCH": True,
}
if os.environ.get("SIGNAL_PANEL_STORE"):
    DEBUG_TOOLBAR_CONFIG["TOOLBAR_STORE_CLASS"] = os.environ["SIGNAL_PANEL_STORE"]
SIGNAL_PANEL = {"EDITOR_URL": "vscode://file/{path}:{line}"}
