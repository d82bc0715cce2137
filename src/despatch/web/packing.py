"""The packing bench: open a parcel by scanning something printed (the pick list, the tote,
the packing slip or the channel's order number), scan each item, see the carton, weigh, and
the label prints."""

from __future__ import annotations

import json
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from despatch.domain.errors import DomainError, NotFound, ValidationFailed
from despatch.services import bench, fulfillment, packing, shipping
from despatch.web.access import access, actor_of, in_scope, requires
from despatch.web.documents import pdf_response


@requires("packing.work")
def pack_start(request: HttpRequest) -> HttpResponse:
    """Scan to start: one parcel to pack opens at once; more (a tote, a pick list, a split
    order) are listed, those to pack first."""
    code = (request.GET.get("code") or request.GET.get("shipment") or "").strip()
    if not code:
        return render(request, "despatch/pack_start.html")
    try:
        found = bench.find(code, access(request).warehouses())
    except ValidationFailed as exc:
        context = {"message": exc.errors[0].message, "code": code}
        return render(request, "despatch/pack_start.html", context, status=404)
    if len(found.to_pack) == 1 or len(found.parcels) == 1:  # the parcel's screen, at once
        parcel = (found.to_pack or found.parcels)[0]
        context = _panel(parcel.id, {}) | {"message": "", "wrong": False, "came": found.code}
        return render(request, "despatch/pack.html", context)
    return render(request, "despatch/pack_start.html", {"found": found, "code": code})


def _scanned(raw: str) -> dict[str, int]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int) and v > 0}


def _act(
    request: HttpRequest, shipment_id: str, scanned: dict[str, int]
) -> tuple[str, dict[str, int]]:
    """Run the posted action; (message, scanned)."""
    action = request.POST.get("action", "")
    if action == "scan":
        check, sku = packing.scan_item(shipment_id, scanned, request.POST.get("item", ""))
        return f"OK: {sku}", check.scanned
    if action == "pack":
        text = request.POST.get("weight_g", "").strip()
        if not text.isdigit():
            raise ValidationFailed.single("weight_g", "enter the weight in grams, e.g. 690")
        weight = int(text)
        packing.pack_at_bench(
            shipment_id,
            weighed_g=weight,
            carton_id=request.POST.get("carton", ""),
            actor=actor_of(request),
        )
        message = f"Packed, {weight} g"
        if access(request).can("labels.print"):  # the label prints after the weight gate
            message += _label(request, shipment_id)
        return message, scanned
    if action == "label":
        return _label(request, shipment_id).removeprefix(". "), scanned
    return "", scanned


def _label(request: HttpRequest, shipment_id: str) -> str:
    if not access(request).can("labels.print"):
        raise DomainError("printing labels needs the permission 'labels.print'")
    try:
        bought = shipping.buy_label(shipment_id, actor=actor_of(request))
    except DomainError as exc:
        return f". No label: {exc.detail}"
    return f". Label: {bought.shipment.carrier} {bought.shipment.tracking_number}"


@requires("packing.work")
def pack_screen(request: HttpRequest, shipment_id: str) -> HttpResponse:
    """Scan every item against the parcel, see the carton, weigh, pack; the label follows."""
    in_scope(request, "shipment_id", shipment_id)
    try:
        fulfillment.get_shipment(shipment_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    scanned = _scanned(request.POST.get("scanned", ""))
    message, wrong = "", False
    if request.method == "POST":
        try:
            message, scanned = _act(request, shipment_id, scanned)
        except ValidationFailed as exc:
            message, wrong = exc.errors[0].message, True
        except DomainError as exc:
            message, wrong = exc.detail, True
    template = (
        "despatch/_pack_panel.html" if request.headers.get("HX-Request") else "despatch/pack.html"
    )
    context = _panel(shipment_id, scanned) | {"message": message, "wrong": wrong}
    context["came"] = (request.POST.get("came") or request.GET.get("came") or "")[:64]
    return render(request, template, context)


def _panel(shipment_id: str, scanned: dict[str, int]) -> dict[str, Any]:
    shipment = fulfillment.get_shipment(shipment_id)
    expected = packing.expected_units(shipment_id)
    complete = shipment.status != "picking" or scanned == expected
    carton, carton_note = None, ""
    if complete and shipment.status == "picking":
        try:
            choice = packing.recommend(shipment_id)
            carton = choice.parcels[0].carton if choice.single else None
            carton_note = "" if choice.single else "fits no single carton: split it"
        except DomainError as exc:
            carton_note = exc.detail
    known = bench.items(sorted(expected))
    return {
        "shipment": shipment,
        "order": shipment.order,
        "rows": [(known[s], expected[s], scanned.get(s, 0)) for s in sorted(expected)],
        "scanned_json": json.dumps(scanned),
        "complete": complete,
        "carton": carton,
        "carton_note": carton_note,
    }


@requires("labels.print")
def label_file(request: HttpRequest, shipment_id: str, kind: str) -> FileResponse:
    in_scope(request, "shipment_id", shipment_id)
    try:
        path, media = shipping.label_file(shipment_id, kind)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return FileResponse(path.open("rb"), content_type=media, filename=path.name)


@requires("labels.print")
def packing_slip(request: HttpRequest, shipment_id: str) -> HttpResponse:
    """The packing slip to print: its barcode opens the parcel at the bench."""
    in_scope(request, "shipment_id", shipment_id)
    return pdf_response(lambda: packing.packing_slip_pdf(shipment_id), f"{shipment_id}-slip.pdf")


@requires("catalogue.read")
def sku_image(request: HttpRequest, sku: str) -> FileResponse:
    try:
        path, media = bench.image_file(sku)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return FileResponse(path.open("rb"), content_type=media)
