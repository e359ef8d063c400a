"""A strict Content-Security-Policy for the pages the browser tests ask for.

Added to the served site's middleware by ``tests.browser.site_settings``. A
request with ``?csp=strict`` gets a policy that allows only same-origin
scripts and stylesheets: no inline scripts, no inline event handlers, no
``eval`` and no inline ``style`` attributes.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

STRICT_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'"


class StrictCSPMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.GET.get("csp") == "strict":
            response["Content-Security-Policy"] = STRICT_POLICY
        return response
