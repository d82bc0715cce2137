"""Code 128 barcodes as SVG ``data:`` URLs, for printable HTML sheets (the policy allows
``img-src data:``). Drawn by reportlab, offline."""

from __future__ import annotations

import base64

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.lib.units import mm


def code128_data_url(value: str) -> str:
    drawing = createBarcodeDrawing(
        "Code128", value=value, barHeight=12 * mm, barWidth=0.9, humanReadable=True
    )
    svg = renderSVG.drawToString(drawing)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
