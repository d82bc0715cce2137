"""``despatch orders``: import, show, list, cancel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.table import Table

from despatch import worker as relay
from despatch.cli.access import cli_actor, declares
from despatch.cli.common import console, domain_errors, err, fail, progress_bar, whole
from despatch.domain.allocation_state import AllocationState
from despatch.domain.audit import parse_moment
from despatch.domain.cancellations import NotCancellable, Stage, stage_of
from despatch.domain.errors import DomainError, NotFound
from despatch.domain.orders import OrderStatus
from despatch.domain.totals import plain
from despatch.domain.wording import problem_words
from despatch.integrations.channels import csv as order_csv
from despatch.integrations.rows import RowError
from despatch.services import audit, cancellations, totals
from despatch.services import channels as channel_service
from despatch.services import orders as order_service
from despatch.services.catalogue import API_CHANNEL

app = typer.Typer(help="Receive, inspect and cancel orders.", no_args_is_help=True)


@app.command("import")
@declares("orders.capture")
def import_orders(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="CSV or JSON files"),
    channel: str = typer.Option("csv", help="the channel the orders came from"),
    format: str = typer.Option(
        "", help="csv, or a channel type (shopify, woocommerce); default: by file and channel"
    ),
    process: bool = typer.Option(
        True, help="run the pipeline after importing payloads and report where each order stands"
    ),
    encoding: str = typer.Option(
        "", help="CSV text encoding, e.g. cp1252; default: UTF-8 (BOM or not), else Windows-1252"
    ),
    delimiter: str = typer.Option("", help="CSV delimiter: , ; tab or |; default: sniffed"),
) -> None:
    """Import orders: CSV (see docs/formats.md) or a platform's exported order payload (JSON,
    read by the channel's type). Reports per file what was created, updated, skipped as a
    duplicate or held; exits 1 if anything was rejected."""
    _known_channel(channel)
    rejected = 0
    payload_orders: list[tuple[str, str]] = []
    for path in files:
        kind = format or ("csv" if path.suffix.lower() == ".csv" else "payload")
        if kind == "csv":
            rejected += _import_csv(path, channel, encoding, delimiter)
        else:
            rejected += _import_payload(
                path, channel, payload_orders, "" if kind == "payload" else kind
            )
    if process and payload_orders:
        relay.drain()
        for name, order_id in payload_orders:
            order = order_service.get_order(order_id)
            why = f": {order.hold_reason} " + _problems(order.hold_detail)
            console.print(f"{name}: {order_id} is {order.status}{why if order.hold_reason else ''}")
    if rejected:
        raise typer.Exit(1)


def _known_channel(code: str) -> None:
    """Orders go only to a channel that is set up, or to the built-in ``api`` and ``csv``
    (the default): a typo would file them under a channel nobody looks at."""
    if code in (API_CHANNEL, "csv"):
        return
    try:
        channel_service.get_channel(code)
    except NotFound:
        fail(
            f"--channel {code!r}: no such channel; add it first "
            f"(despatch channels add {code} --type TYPE), or use csv or api"
        )


def _problems(detail: list[dict[str, Any]]) -> str:
    """A held order's problems, each naming its field: ``address city is required``."""
    return "; ".join(problem_words(p.get("field", ""), p.get("message", "")) for p in detail)


def _import_csv(path: Path, channel: str, encoding: str, delimiter: str) -> int:
    with domain_errors():
        parsed, errors = order_csv.parse(path, channel, encoding=encoding, delimiter=delimiter)
    created = replayed = 0
    with progress_bar(f"importing {path.name}", len(parsed)) as advance:
        for item in parsed:
            try:
                _, new = order_service.receive_order(
                    item.draft, actor=cli_actor(f"cli:import:{path.name}")
                )
                created += new
                replayed += not new
            except DomainError as exc:
                errors.append(RowError(item.rows[0], "order", exc.detail))
            advance(1)
    for e in sorted(errors, key=lambda e: e.row):
        err.print(f"[red]{path.name}: {e}[/]")
    console.print(
        f"{path.name}: {created} created, {replayed} already received, {len(errors)} row error(s)"
    )
    return len(errors)


def _import_payload(path: Path, channel: str, seen: list[tuple[str, str]], kind: str) -> int:
    with domain_errors():
        delivery, new = channel_service.import_payload(
            channel, path.read_bytes(), name=path.name, kind=kind
        )
    if delivery.status == "failed":
        err.print(f"[red]{path.name}: rejected: {delivery.error}[/]")
        return 1
    console.print(f"{path.name}: {delivery.outcome if new else 'duplicate'} {delivery.order_id}")
    if delivery.order_id:
        seen.append((path.name, delivery.order_id))
    return 0


def _as_dict(order: Any) -> dict[str, Any]:
    return {
        "id": order.id,
        "channel": order.channel,
        "external_id": order.external_id,
        "status": order.status,
        "payment_status": order.payment_status,
        **totals.money_of(order).as_dict(),
        "customer_name": order.customer_name,
        "shipping_address": order.shipping_address,
        "billing_address": order.billing_address,
        "platform_actions": order.platform_actions,
        "hold_reason": order.hold_reason,
        "hold_detail": order.hold_detail,
        "allocation": order.allocation,
        "lines": [
            {
                "line_no": li.line_no,
                "sku": li.sku,
                "quantity": li.quantity,
                "unit_price": plain(li.unit_price, order.currency),
                "line_total": plain(li.line_total or li.unit_price * li.quantity, order.currency),
                "external_line_id": li.external_line_id,
                "backordered": li.backordered,
            }
            for li in order.lines.all()
        ],
        "shipments": [
            {
                "id": s.id,
                "warehouse": s.warehouse_id,
                "status": s.status,
                "tracking_number": s.tracking_number,
            }
            for s in order.shipments.all()
        ],
        "created_at": order.created_at.isoformat(),
    }


def _show_history(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return
    console.print(
        f"[bold]{data['id']}[/] as of {data['as_of']}  [cyan]{data['status']}[/]"
        + (f"  [yellow]on hold: {data['hold_reason']}[/]" if data["hold_reason"] else "")
    )
    lines = Table("#", "SKU", "qty", "cancelled")
    for li in data["lines"]:
        lines.add_row(str(li["line_no"]), li["sku"], str(li["quantity"]), str(li["cancelled"]))
    console.print(lines)
    allocation = data["allocation"]
    for a in allocation["assignments"]:
        console.print(f"  {a['quantity']} x {a['sku']} from {a['warehouse']}")
    for b in allocation["backorders"]:
        console.print(f"  backordered: {b}")
    for s in allocation["shipments"]:
        console.print(f"  shipment {s['id']} from {s['warehouse'] or '?'}: {s['status']}")
    last = data["last_change"]
    console.print(f"  [dim]last change #{last['seq']} at {last['at']}: {last['action']}[/]")


@app.command()
@declares("orders.read")
def show(
    order_id: str = typer.Argument("", help="order ID (ord_...)"),
    channel: str = typer.Option("", help="find by channel and --external-id instead"),
    external_id: str = typer.Option("", help="the channel's order ID"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    as_of: str = typer.Option(
        "", "--as-of", help="as it was at this date or time (UTC), rebuilt from the audit trail"
    ),
) -> None:
    """Show one order: lines, allocation, shipments and its timeline."""
    with domain_errors():
        if not order_id:
            if not (channel and external_id):
                fail("give an order ID, or --channel and --external-id", 2)
            order_id = order_service.find_order(channel, external_id).id
        if as_of:
            history = audit.order_as_of(order_id, parse_moment(as_of, "--as-of"))
            return _show_history(history.as_dict(), as_json)
        order = order_service.get_order(order_id)
    data = _as_dict(order)
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return
    console.print(
        f"[bold]{order.id}[/]  {order.channel}/{order.external_id}  "
        f"[cyan]{order.status}[/]  {totals.money_of(order).said()}"
    )
    if order.hold_reason:
        console.print(f"[yellow]on hold: {order.hold_reason}[/] " + _problems(order.hold_detail))
    lines = Table("#", "SKU", "qty", "unit price", "line total", "backordered")
    for li in data["lines"]:
        lines.add_row(
            str(li["line_no"]),
            li["sku"],
            str(li["quantity"]),
            li["unit_price"],
            li["line_total"],
            str(li["backordered"]),
        )
    console.print(lines)
    for note in AllocationState.read(order.allocation).explanation:
        console.print(f"  • {note}")
    for s in data["shipments"]:
        console.print(f"  shipment {s['id']} from {s['warehouse']}: {s['status']}")
    for entry in audit.timeline(order.id):
        console.print(
            f"  [dim]{entry.at:%Y-%m-%d %H:%M:%S %Z}[/] {entry.actor}: {entry.action} "
            f"{entry.before or ''}→{entry.after or ''} {entry.reason_code}"
        )


@app.command("list")
@declares("orders.read")
def list_orders(
    status: str = typer.Option("", help="filter by status"),
    channel: str = typer.Option(""),
    limit: int = typer.Option(20, min=1, max=1000),
) -> None:
    """List the newest orders."""
    with domain_errors():
        rows = list(order_service.list_orders(status=status, channel=channel)[:limit])
    # the order's ID over its channel and number: both whole, even 80 columns wide
    keys = [f"{o.id}\n{o.channel} {o.external_id}" for o in rows]
    table = Table(whole("order / channel number", keys), "status", "total", "received")
    for o, key in zip(rows, keys, strict=True):
        table.add_row(
            key,
            _status_shown(o),
            f"{plain(o.total_amount, o.currency)} {o.currency}",
            f"{o.created_at:%Y-%m-%d %H:%M %Z}",
        )
    console.print(table)


def _status_shown(order: Any) -> str:
    """The status, with the marks a person should see at once (oversold, late)."""
    marks = [t for t in ("oversold", "late") if t in (order.tags or [])]
    return f"{order.status} ({', '.join(marks)})" if marks else str(order.status)


@app.command()
@declares("orders.write")
def cancel(
    order_id: str,
    reason: str = typer.Option(
        "customer_request",
        help="customer_request, out_of_stock, payment_failed, fraud, address_problem, "
        "duplicate, channel_cancelled, ops_decision or other",
    ),
    note: str = typer.Option("", help="free text for the audit trail"),
    line: list[str] = typer.Option(
        [], "--line", help="cancel only LINE_NO:UNITS (repeat); before picking only"
    ),
) -> None:
    """Cancel an order before despatch, or some of its lines before picking. Stock goes back
    to the pool; units already picked get put-away tasks. After despatch, use
    `despatch shipping intercept` or a return."""
    with domain_errors():
        if line:
            cuts: dict[int, int] = {}
            for i, raw in enumerate(line):
                number, _, units = raw.partition(":")
                if not (number.isdigit() and units.isdigit()):
                    fail(f"--line {i + 1}: {raw!r} is not LINE_NO:UNITS (e.g. 2:1)")
                cuts[int(number)] = cuts.get(int(number), 0) + int(units)
            order = cancellations.cancel_lines(
                order_id, cuts, actor=cli_actor(), reason=reason, note=note
            )
            console.print(f"{order.id}: cancelled {sum(cuts.values())} unit(s) ({reason})")
            return
        try:
            order = cancellations.cancel_order(
                order_id, actor=cli_actor(), reason=reason, note=note
            )
        except NotCancellable as exc:
            status = OrderStatus(exc.data.get("status", OrderStatus.CANCELLED))
            if stage_of(status) != Stage.AFTER_DESPATCH:
                raise
            _intercept_instead(order_id, status)
    console.print(f"{order.id} cancelled ({reason})")


def _intercept_instead(order_id: str, status: OrderStatus) -> NoReturn:
    """A despatched order is not cancelled: name the CLI command that asks for an intercept."""
    gone = [
        s.id
        for s in order_service.get_order(order_id).shipments.all()
        if s.status in ("despatched", "delivered")
    ]
    commands = " or ".join(f"despatch shipping intercept {s}" for s in gone)
    fail(
        f"the order is {status.value}: request an intercept from the carrier "
        f"({commands or 'despatch shipping intercept SHIPMENT'}) or open a return "
        "[dim](not_cancellable)[/]"
    )


@app.command()
@declares("orders.write")
def release(
    order_id: str,
    note: str = typer.Option("", help="why it may go ahead"),
    reason: str = typer.Option(
        "", help="reason code: checked_ok (default), customer_request, address_problem, ..."
    ),
) -> None:
    """Release an order from hold; it is validated again."""
    with domain_errors():
        order = order_service.release_order(order_id, actor=cli_actor(), note=note, reason=reason)
    console.print(f"{order.id} released")
