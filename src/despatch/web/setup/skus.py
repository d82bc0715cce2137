"""Set-up: SKUs (list, add, change) and their stock: receive, adjust with a reason, and count
(the same stock count service as ``despatch stock count``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from despatch.domain.errors import NotFound
from despatch.domain.reasons import ALLOWED, ManualAction
from despatch.services import catalogue, counts, inventory, sku_setup
from despatch.web.access import access, requires
from despatch.web.setup.forms import Outcome, actor, attempt, page, text, whole

FIELDS = ("code", "name", "gtin", "length_mm", "width_mm", "height_mm", "weight_g", "flags")
NUMBERS = FIELDS[3:7]
STOCK_FORMS = (  # (action, button, number field, its label)
    ("receive", "Receive", "quantity", "Units received"),
    ("adjust", "Adjust", "delta", "Change (+/- units)"),
    ("count", "Count", "counted", "Units counted on the shelf"),
)
STOCK_FIELDS = ("warehouse", "quantity", "delta", "counted", "note", "reason_code")


def _row(request: HttpRequest, code: str, outcome: Outcome) -> catalogue.SkuRow:
    sizes = {name: whole(request, name, outcome, default=0) for name in NUMBERS}
    flags = tuple(f for f in text(request, "flags").replace(",", " ").split() if f)
    return catalogue.SkuRow(
        code, text(request, "name"), text(request, "gtin"), flags=flags, **sizes
    )


def _save(request: HttpRequest, code: str, outcome: Outcome) -> str:
    row = _row(request, code, outcome)
    if outcome.failed:
        return ""
    return attempt(lambda: sku_setup.save_sku(row, actor=actor(request)), outcome, FIELDS) or ""


@requires("stock.write", post="catalogue.write")
def sku_list(request: HttpRequest) -> HttpResponse:
    """The catalogue, searchable; POST adds a SKU."""
    outcome, q = Outcome(), request.GET.get("q", "").strip()
    form: dict[str, str] = {}
    if request.method == "POST":
        form = {k: text(request, k) for k in FIELDS}
        if _save(request, form["code"], outcome):
            messages.success(request, f"SKU {form['code']} saved")
            return redirect("setup-sku", code=form["code"])
    skus = Paginator(catalogue.skus(q), 50).get_page(request.GET.get("page"))
    context = {"skus": skus, "q": q, "form": form}
    return page(request, "despatch/setup/skus.html", context, outcome)


def _sku(code: str) -> object:
    try:
        return catalogue.get_sku(code)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def _context(request: HttpRequest, code: str, form: dict[str, str]) -> dict[str, object]:
    sku = _sku(code)
    return {
        "sku": sku,
        "form": form,
        "levels": [
            (lv.warehouse_id, lv.on_hand, lv.reserved, lv.on_hand - lv.reserved - lv.quarantined)
            for lv in sku_setup.levels_of(code)
        ],
        "stock_forms": STOCK_FORMS,
        "warehouses": [w.code for w in catalogue.warehouses()],
        "reasons": [r.value for r in ALLOWED[ManualAction.ADJUST_STOCK]],
        "movements": list(inventory.movements(sku=code)[:20]),
    }


@requires("stock.write", post="catalogue.write")
def sku_edit(request: HttpRequest, code: str) -> HttpResponse:
    """One SKU: its details, its stock in each warehouse, the last movements."""
    _sku(code)
    outcome = Outcome()
    form: dict[str, str] = {}
    if request.method == "POST":
        form = {k: text(request, k) for k in FIELDS}
        if _save(request, code, outcome):
            messages.success(request, f"SKU {code} saved")
            return redirect("setup-sku", code=code)
    return page(request, "despatch/setup/sku.html", _context(request, code, form), outcome)


NUMBER_OF = {"receive": "quantity", "adjust": "delta", "count": "counted"}


def _stock_change(request: HttpRequest, code: str, outcome: Outcome) -> str:
    action, warehouse, by = text(request, "action"), text(request, "warehouse"), actor(request)
    if action not in NUMBER_OF:
        raise Http404(f"unknown action {action!r}")
    note, n = text(request, "note"), whole(request, NUMBER_OF[action], outcome)
    if not warehouse:
        outcome.add("warehouse", "choose a warehouse")
    if outcome.failed:  # nothing is booked from a number that could not be read
        return ""

    def call() -> object:
        access(request).require_warehouse(warehouse, "stock.write")  # 403 outside the scope
        if action == "receive":
            ref = text(request, "reference")
            return inventory.receive_stock(
                sku=code, warehouse=warehouse, quantity=n, actor=by, note=note, reference=ref
            )
        if action == "adjust":
            why = text(request, "reason_code")
            return inventory.adjust_stock(
                sku=code, warehouse=warehouse, delta=n, actor=by, note=note, reason_code=why
            )
        return counts.count_stock(sku=code, warehouse=warehouse, counted=n, actor=by, note=note)

    if attempt(call, outcome, STOCK_FIELDS) is None:
        return ""
    level = next((lv for lv in sku_setup.levels_of(code) if lv.warehouse_id == warehouse), None)
    return f"{action}: {code} at {warehouse} now {level.on_hand if level else 0} on hand"


@requires("stock.write")
@require_POST
def sku_stock(request: HttpRequest, code: str) -> HttpResponse:
    """Receive, adjust or count the SKU's stock in a warehouse."""
    _sku(code)
    outcome = Outcome()
    said = _stock_change(request, code, outcome)
    if said:
        messages.success(request, said)
        return redirect("setup-sku", code=code)
    action = text(request, "action")
    context = _context(request, code, {}) | {
        "stock": {k: text(request, k) for k in STOCK_FIELDS},
        "stock_action": action,
        "stock_value": text(request, NUMBER_OF.get(action, "")),
    }
    return page(request, "despatch/setup/sku.html", context, outcome)
