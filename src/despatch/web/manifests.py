"""Ops UI: close the day per carrier (the manifest) and fetch the manifests' files."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from despatch.domain.errors import DomainError, NotFound
from despatch.services import manifests
from despatch.web.access import requires


@requires("shipments.read")
def manifest_list(request: HttpRequest) -> HttpResponse:
    context = {"due": manifests.due(), "closed": manifests.recent()}
    return render(request, "despatch/manifests.html", context)


@requires("shipping.work")
@require_POST
def manifest_close(request: HttpRequest) -> HttpResponse:
    carrier, warehouse = request.POST.get("carrier", ""), request.POST.get("warehouse", "")
    try:
        closed = manifests.close(carrier, warehouse, actor=f"user:{request.user.get_username()}")
        flash.success(
            request,
            f"manifest {closed.manifest.id}: {len(closed.shipments)} {carrier} parcels "
            f"despatched from {warehouse}",
        )
    except DomainError as exc:
        flash.error(request, f"not closed: {exc.detail}")
    return redirect("manifests")


@requires("shipments.read")
def manifest_file(request: HttpRequest, manifest_id: str, kind: str) -> FileResponse:
    try:
        path, media = manifests.manifest_file(manifest_id, kind)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return FileResponse(path.open("rb"), content_type=media, filename=path.name)
