"""Shipping labels: 4 x 6 inch PDF (reportlab) and ZPL for thermal printers.

Both carry the carrier and service, the sender and the addressee, the order reference and
parcel count, the weight, the tracking number as a Code 128 barcode, and a QR code (encoded
by segno) holding the tracking number, destination postcode and country.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from reportlab.graphics.barcode import code128
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from despatch.domain.addresses import Address
from despatch.integrations.regions import label_name

WIDTH, HEIGHT = 4 * inch, 6 * inch


@dataclass(frozen=True)
class Label:
    tracking_number: str
    carrier: str
    service: str
    sender: Address
    to: Address
    reference: str  # the order's channel reference
    parcel: int = 1
    parcels: int = 1
    weight_g: int = 0

    @property
    def qr_data(self) -> str:
        return f"{self.tracking_number}|{self.to.postcode}|{self.to.country}"


def _lines(address: Address) -> list[str]:
    return [
        line
        for line in (
            address.name,
            address.company,
            address.line1,
            address.line2,
            " ".join(
                p
                for p in (
                    address.city,
                    label_name(address.country, address.region),
                    address.postcode,
                )
                if p
            ),
            address.country,
        )
        if line
    ]


def pdf(label: Label) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(WIDTH, HEIGHT))
    page.setTitle(f"Label {label.tracking_number}")
    margin = 0.15 * inch
    top = HEIGHT - margin
    page.setFont("Helvetica-Bold", 16)
    page.drawString(margin, top - 14, label.carrier.upper())
    page.setFont("Helvetica", 10)
    page.drawRightString(WIDTH - margin, top - 12, label.service)
    page.line(margin, top - 22, WIDTH - margin, top - 22)
    page.setFont("Helvetica", 7)
    y = top - 32
    page.drawString(margin, y, "FROM")
    for line in _lines(label.sender):
        y -= 9
        page.drawString(margin, y, line)
    y -= 14
    page.setFont("Helvetica-Bold", 9)
    page.drawString(margin, y, "TO")
    page.setFont("Helvetica-Bold", 13)
    for line in _lines(label.to):
        y -= 16
        page.drawString(margin + 8, y, line)
    y -= 20
    page.setFont("Helvetica", 9)
    page.drawString(
        margin,
        y,
        f"Ref {label.reference}   Parcel {label.parcel}/{label.parcels}   "
        f"{label.weight_g / 1000:.2f} kg",
    )
    barcode = code128.Code128(label.tracking_number, barHeight=0.9 * inch, barWidth=1.1)
    barcode.drawOn(page, (WIDTH - barcode.width) / 2, 1.15 * inch)
    page.setFont("Helvetica-Bold", 12)
    page.drawCentredString(WIDTH / 2, 0.95 * inch, label.tracking_number)
    _qr(page, label.qr_data, WIDTH - margin - 0.8 * inch, margin, 0.8 * inch)
    page.showPage()
    page.save()
    return out.getvalue()


def _qr(page: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    """A QR code (segno encodes it) drawn as one filled run per row of dark modules."""
    matrix = segno.make(data, error="m", micro=False).matrix
    module = size / len(matrix)
    for r, row in enumerate(matrix):
        top = y + size - (r + 1) * module
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                page.rect(x + start * module, top, (c - start) * module, module, stroke=0, fill=1)
            else:
                c += 1


def _zpl_text(text: str) -> str:
    """ZPL field data: ^ and ~ are commands, so they are replaced (with ^FH hex escapes)."""
    return text.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def zpl(label: Label) -> str:
    """ZPL II for a 4 x 6 inch label at 203 dpi (812 x 1218 dots), UTF-8 (^CI28)."""
    rows = ["^XA", "^CI28", "^PW812", "^LL1218"]

    def text(x: int, y: int, size: int, value: str) -> None:
        rows.append(f"^FO{x},{y}^A0N,{size},{size}^FH^FD{_zpl_text(value)}^FS")

    text(30, 30, 50, label.carrier.upper())
    text(430, 40, 30, label.service)
    rows.append("^FO30,95^GB752,3,3^FS")
    y = 110
    text(30, y, 22, "FROM")
    for line in _lines(label.sender):
        y += 26
        text(30, y, 22, line)
    y += 45
    text(30, y, 28, "TO")
    for line in _lines(label.to):
        y += 44
        text(50, y, 40, line)
    y += 60
    text(30, y, 26, f"Ref {label.reference}  Parcel {label.parcel}/{label.parcels}")
    text(30, y + 32, 26, f"{label.weight_g / 1000:.2f} kg")
    rows.append(f"^FO60,860^BY3^BCN,180,Y,N,N^FD{label.tracking_number}^FS")
    rows.append(f"^FO600,620^BQN,2,5^FDQA,{_zpl_text(label.qr_data)}^FS")
    rows.append("^XZ")
    return "\n".join(rows) + "\n"
