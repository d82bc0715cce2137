"""Paper for the floor: the pick list a picker carries and the packing slip in the parcel."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from despatch.domain.addresses import Address


@dataclass(frozen=True)
class PickRow:
    seq: int
    location: str
    sku: str
    name: str
    quantity: int
    shipment_id: str


@dataclass(frozen=True)
class SlipLine:
    sku: str
    name: str
    quantity: int


def _page(title: str) -> tuple[canvas.Canvas, io.BytesIO]:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setTitle(title)
    return page, out


def pick_list_pdf(
    pick_list_id: str,
    warehouse: str,
    length_m: float,
    method: str,
    rows: Sequence[PickRow],
    tote: str = "",
) -> bytes:
    """The list in walking order; its barcode (list or tote) opens its parcels at packing."""
    page, out = _page(f"Pick list {pick_list_id}")
    height = A4[1]
    y = height - 20 * mm
    scanned = tote or pick_list_id

    def header() -> None:
        nonlocal y
        page.setFont("Helvetica-Bold", 14)
        page.drawString(20 * mm, y, f"Pick list {pick_list_id}")
        code128.Code128(scanned, barHeight=10 * mm, barWidth=0.9).drawOn(page, 120 * mm, y - 4 * mm)
        page.setFont("Helvetica", 10)
        page.drawString(
            20 * mm,
            y - 6 * mm,
            f"{warehouse} · {len(rows)} picks · walk {length_m:.0f} m ({method})"
            + (f" · tote {tote}" if tote else ""),
        )
        page.setFont("Helvetica", 7)
        page.drawString(120 * mm, y - 8 * mm, f"{scanned} · scan at the packing bench")
        y -= 18 * mm
        page.setFont("Helvetica-Bold", 10)
        for x, title in (
            (20, "#"),
            (30, "Bin"),
            (60, "SKU"),
            (95, "Item"),
            (160, "Qty"),
            (172, "Done"),
        ):
            page.drawString(x * mm, y, title)
        y -= 6 * mm

    header()
    for r in rows:
        if y < 20 * mm:
            page.showPage()
            y = height - 20 * mm
            header()
        page.setFont("Helvetica-Bold", 12)
        page.drawString(20 * mm, y, str(r.seq))
        page.drawString(30 * mm, y, r.location)
        page.setFont("Helvetica", 10)
        page.drawString(60 * mm, y, r.sku[:20])
        page.drawString(95 * mm, y, r.name[:36])
        page.setFont("Helvetica-Bold", 12)
        page.drawRightString(166 * mm, y, str(r.quantity))
        page.rect(173 * mm, y - 1 * mm, 5 * mm, 5 * mm)
        y -= 8 * mm
    page.showPage()
    page.save()
    return out.getvalue()


def packing_slip_pdf(
    reference: str, shipment_id: str, to: Address, lines: Sequence[SlipLine], note: str = ""
) -> bytes:
    page, out = _page(f"Packing slip {reference}")
    height = A4[1]
    y = height - 20 * mm
    page.setFont("Helvetica-Bold", 16)
    page.drawString(20 * mm, y, f"Order {reference}")
    page.setFont("Helvetica", 9)
    page.drawString(20 * mm, y - 6 * mm, f"Parcel {shipment_id}")
    # the barcode the packing bench scans to open this parcel
    code128.Code128(shipment_id, barHeight=12 * mm, barWidth=0.9).drawOn(page, 115 * mm, y - 6 * mm)
    y -= 18 * mm
    page.setFont("Helvetica", 11)
    for text in (
        to.name,
        to.company,
        to.line1,
        to.line2,
        f"{to.city} {to.postcode}".strip(),
        to.country,
    ):
        if text:
            page.drawString(20 * mm, y, text)
            y -= 5.5 * mm
    y -= 8 * mm
    page.setFont("Helvetica-Bold", 10)
    page.drawString(20 * mm, y, "SKU")
    page.drawString(60 * mm, y, "Item")
    page.drawRightString(190 * mm, y, "Qty")
    page.setFont("Helvetica", 10)
    for line in lines:
        y -= 6 * mm
        page.drawString(20 * mm, y, line.sku[:20])
        page.drawString(60 * mm, y, line.name[:60])
        page.drawRightString(190 * mm, y, str(line.quantity))
    if note:
        page.drawString(20 * mm, 20 * mm, note[:110])
    page.showPage()
    page.save()
    return out.getvalue()


def return_label_pdf(
    rma_id: str,
    order_ref: str,
    sender: Address,
    to_name: str,
    to_address: Sequence[str],
    lines: Sequence[SlipLine],
) -> bytes:
    """The label the customer sticks on the parcel: our address, theirs, and the RMA barcode
    the returns desk scans; below the fold, what should be inside."""
    page, out = _page(f"Return {rma_id}")
    height = A4[1]
    y = height - 20 * mm
    page.setFont("Helvetica-Bold", 16)
    page.drawString(20 * mm, y, "RETURN")
    page.setFont("Helvetica", 10)
    page.drawString(50 * mm, y, f"{rma_id} · order {order_ref}")
    y -= 12 * mm
    page.setFont("Helvetica-Bold", 12)
    page.drawString(20 * mm, y, "To:")
    page.setFont("Helvetica", 12)
    for i, text in enumerate([to_name, *to_address]):
        page.drawString(35 * mm, y - i * 6 * mm, text)
    y -= (len(to_address) + 2) * 6 * mm
    page.setFont("Helvetica", 9)
    page.drawString(20 * mm, y, "From:")
    from_lines = [sender.name, sender.line1, sender.line2, sender.city, sender.postcode]
    for i, text in enumerate([t for t in from_lines if t] + [sender.country]):
        page.drawString(35 * mm, y - i * 4.5 * mm, text)
    y -= 40 * mm
    code128.Code128(rma_id, barHeight=22 * mm, barWidth=1.3).drawOn(page, 20 * mm, y)
    page.setFont("Helvetica", 11)
    page.drawString(20 * mm, y - 6 * mm, rma_id)
    y -= 20 * mm
    page.setDash(3, 3)
    page.line(15 * mm, y, 195 * mm, y)
    page.setDash()
    y -= 10 * mm
    page.setFont("Helvetica-Bold", 11)
    page.drawString(20 * mm, y, "Put this part in the parcel. Inside:")
    page.setFont("Helvetica", 10)
    for i, line in enumerate(lines, start=1):
        page.drawString(20 * mm, y - i * 6 * mm, f"{line.quantity} x {line.sku}  {line.name}"[:90])
    page.showPage()
    page.save()
    return out.getvalue()
