"""WSGI entry point for ``despatch serve`` and any WSGI server."""

from django.core.wsgi import get_wsgi_application

from despatch import config

config.use_django_settings()
application = get_wsgi_application()
