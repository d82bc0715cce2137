"""WSGI entry point for ``despatch serve`` and any WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despatch.settings")
application = get_wsgi_application()
