"""The documents the floor prints (pick lists, packing slips), answered as a PDF the browser
shows; a document whose subject is not there is a 404."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpResponse

from despatch.domain.errors import NotFound


def pdf_response(make: Callable[[], bytes], filename: str) -> HttpResponse:
    """``make()`` the PDF and answer it inline as ``filename``."""
    try:
        document = make()
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
