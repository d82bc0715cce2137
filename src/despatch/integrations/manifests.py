"""End-of-day manifests as the carrier's driver signs for them: CSV and A4 PDF."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from despatch.integrations.rows import write_csv

COLUMNS = (
    "tracking_number",
    "service",
    "shipment_id",
    "order_reference",
    "postcode",
    "country",
    "weight_g",
)


@dataclass(frozen=True)
class ManifestRow:
    tracking_number: str
    service: str
    shipment_id: str
    order_reference: str
    postcode: str
    country: str
    weight_g: int


def csv_text(rows: Sequence[ManifestRow]) -> str:
    return write_csv(COLUMNS, ([getattr(r, c) for c in COLUMNS] for r in rows))


def pdf(
    manifest_id: str, carrier: str, warehouse: str, date: str, rows: Sequence[ManifestRow]
) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setTitle(f"Manifest {manifest_id}")
    height = A4[1]
    y = height - 20 * mm

    def header() -> None:
        nonlocal y
        page.setFont("Helvetica-Bold", 14)
        page.drawString(20 * mm, y, f"Manifest {manifest_id}")
        page.setFont("Helvetica", 10)
        page.drawString(
            20 * mm, y - 6 * mm, f"{carrier} · {warehouse} · {date} · {len(rows)} parcels"
        )
        y -= 16 * mm
        page.setFont("Helvetica-Bold", 9)
        for x, title in (
            (20, "Tracking number"),
            (75, "Service"),
            (110, "Order"),
            (145, "Postcode"),
            (175, "kg"),
        ):
            page.drawString(x * mm, y, title)
        y -= 5 * mm
        page.setFont("Helvetica", 9)

    header()
    for r in rows:
        if y < 30 * mm:
            page.showPage()
            y = height - 20 * mm
            header()
        page.drawString(20 * mm, y, r.tracking_number)
        page.drawString(75 * mm, y, r.service[:18])
        page.drawString(110 * mm, y, r.order_reference[:18])
        page.drawString(145 * mm, y, f"{r.postcode} {r.country}")
        page.drawRightString(190 * mm, y, f"{r.weight_g / 1000:.2f}")
        y -= 5 * mm
    total = sum(r.weight_g for r in rows) / 1000
    page.setFont("Helvetica-Bold", 10)
    page.drawString(20 * mm, 20 * mm, f"{len(rows)} parcels, {total:.2f} kg")
    page.drawString(110 * mm, 20 * mm, "Collected by: ____________________")
    page.showPage()
    page.save()
    return out.getvalue()
