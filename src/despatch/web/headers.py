"""Security headers Django does not set itself: the Content-Security-Policy."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Everything is served from this site: no inline scripts, styles or handlers (the templates
# have none; htmx's own indicator style is switched off in base.html), no frames, no plugins.
# Images may be data: URLs (the Swagger UI's icons, barcodes in the label preview).
POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


class ContentSecurityPolicy:
    """Adds :data:`POLICY` as ``Content-Security-Policy`` to every answer when
    ``settings.SECURE`` (``DESPATCH_SECURE=1``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = POLICY if getattr(settings, "SECURE", False) else ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response
