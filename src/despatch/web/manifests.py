"""Ops UI: labels and the end of the day. Buy labels for packed parcels (one or many at once),
reprint or void a label, close the day per carrier (the manifest) and fetch its files."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from despatch.domain.errors import DomainError, NotFound, ValidationFailed
from despatch.domain.wording import parcels_despatched
from despatch.services import label_desk, manifests
from despatch.web.access import access, actor_of, in_scope, requires


@requires("shipments.read")
def manifest_list(request: HttpRequest) -> HttpResponse:
    allowed = access(request).warehouses()
    context = {
        "unlabelled": label_desk.unlabelled(allowed),
        "labelled": label_desk.labelled(allowed),
        "due": [d for d in manifests.due() if allowed is None or d.warehouse in allowed],
        "closed": [
            (m, manifests.manifest_name(m, getattr(m, "parcels", 0)))
            for m in manifests.recent(warehouses=allowed)
        ],
    }
    return render(request, "despatch/manifests.html", context)


@requires("labels.print")
@require_POST
def labels_buy(request: HttpRequest) -> HttpResponse:
    """A label for each parcel ticked (or one parcel's own button), each answered on its own."""
    ids = request.POST.getlist("all" if request.POST.get("which") == "all" else "ids")
    for shipment_id in ids:
        in_scope(request, "shipment_id", shipment_id)
    try:
        outcomes = label_desk.buy_many(ids, actor=actor_of(request))
    except ValidationFailed as exc:
        flash.error(request, f"no label bought: {exc.errors[0].message}")
        return redirect("manifests")
    except DomainError as exc:
        flash.error(request, f"no label bought: {exc.detail}")
        return redirect("manifests")
    bought = [o for o in outcomes if o.ok]
    if bought:
        flash.success(
            request,
            f"{len(bought)} labels bought: "
            + ", ".join(f"{o.reference} {o.detail}" for o in bought[:10]),
        )
    for o in outcomes:
        if not o.ok:
            flash.error(request, f"{o.reference}: no label: {o.detail}")
    return redirect("manifests")


@requires("shipping.work")
@require_POST
def label_void(request: HttpRequest, shipment_id: str) -> HttpResponse:
    in_scope(request, "shipment_id", shipment_id)
    try:
        label_desk.void(shipment_id, actor=actor_of(request))
        flash.success(request, f"label of {shipment_id} voided: buy a new one when ready")
    except DomainError as exc:
        flash.error(request, f"not voided: {exc.detail}")
    return redirect("manifests")


@requires("shipping.work")
@require_POST
def manifest_close(request: HttpRequest) -> HttpResponse:
    carrier, warehouse = request.POST.get("carrier", ""), request.POST.get("warehouse", "")
    if not access(request).may_warehouse(warehouse):
        raise Http404(f"warehouse {warehouse} not found")
    try:
        closed = manifests.close(carrier, warehouse, actor=actor_of(request))
        flash.success(
            request,
            f"{parcels_despatched(len(closed.shipments), carrier)} from {warehouse}"
            f" (manifest {closed.manifest.id})",
        )
    except DomainError as exc:
        flash.error(request, f"not closed: {exc.detail}")
    return redirect("manifests")


@requires("shipments.read")
def manifest_file(request: HttpRequest, manifest_id: str, kind: str) -> FileResponse:
    try:
        path, media = manifests.manifest_file(manifest_id, kind, access(request).warehouses())
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return FileResponse(path.open("rb"), content_type=media, filename=path.name)
