"""ASGI entry point: ``uvicorn demo.asgi:application`` (``bash demo/run.sh --asgi``).

Under ASGI, Django sends ``request_started`` and ``request_finished`` with
``asend`` and async views await their signals on the event loop: the panel
shows those dispatches as async ones.
"""

import os

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

application = get_asgi_application()

if settings.DEBUG:
    # runserver serves static files itself; uvicorn does not. The toolbar's
    # CSS and JavaScript are static files.
    application = ASGIStaticFilesHandler(application)
