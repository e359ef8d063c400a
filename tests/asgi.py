"""Entry points of the tests project for the real-server tests.

``application`` is the project's ASGI application (uvicorn). The ``_with_pid``
variants add an ``X-Worker-Pid`` response header naming the process that
served the request, so multi-process tests can tell gunicorn's or uvicorn's
workers apart; they pass Django's response through untouched otherwise (the
server still calls its ``close()``, which sends ``request_finished``).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

application = get_asgi_application()


async def application_with_pid(scope, receive, send):
    async def send_with_pid(message):
        if message["type"] == "http.response.start":
            pid = (b"x-worker-pid", str(os.getpid()).encode())
            message = {**message, "headers": [*message.get("headers", ()), pid]}
        await send(message)

    await application(scope, receive, send_with_pid)


def wsgi_application_with_pid():
    """A WSGI application factory for gunicorn:
    ``gunicorn 'tests.asgi:wsgi_application_with_pid()'``."""
    from django.core.wsgi import get_wsgi_application

    django_application = get_wsgi_application()

    def application(environ, start_response):
        def start_response_with_pid(status, headers, exc_info=None):
            headers = [*headers, ("X-Worker-Pid", str(os.getpid()))]
            return start_response(status, headers, exc_info)

        return django_application(environ, start_response_with_pid)

    return application
