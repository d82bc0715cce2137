"""``despatch payments``: an order's payment notices, and recording one by hand."""

from __future__ import annotations

import getpass

import typer
from django.utils import timezone
from rich.table import Table

from despatch.cli.access import declares
from despatch.cli.common import console, domain_errors
from despatch.domain.ids import new_id
from despatch.domain.money import Money
from despatch.domain.orders import PaymentStatus
from despatch.domain.payments import OrderRef, PaymentNotice
from despatch.services import orders, payments

app = typer.Typer(
    help="Payments: what providers told us, and manual payments.", no_args_is_help=True
)


@app.command("list")
@declares("orders.read")
def list_events(order_id: str) -> None:
    """Every payment notice of an order, oldest first, with what it did."""
    with domain_errors():
        events = payments.events_of(order_id)
    table = Table("when", "provider", "event", "status", "amount", "outcome")
    for e in events:
        amount = f"{e.amount} {e.currency}" if e.amount is not None else ""
        table.add_row(
            f"{e.occurred_at:%Y-%m-%d %H:%M}", e.provider, e.event_id, e.status, amount, e.outcome
        )
    console.print(table)


@app.command()
@declares("payments.record")
def record(
    order_id: str,
    status: PaymentStatus = typer.Option(..., help="the payment's state now"),
    amount: str = typer.Option("", help="amount received or refunded, in the order's currency"),
    reference: str = typer.Option("", help="bank or provider reference"),
    by: str = typer.Option("", "--by", help="who records it (default: your login)"),
) -> None:
    """Record a payment by hand (a bank transfer, cash on delivery collected): applied like a
    provider's notice, so an order held for payment is released."""
    with domain_errors():
        order = orders.get_order(order_id)
        money = Money.parse(amount, order.currency) if amount else None
        notice = PaymentNotice(
            "manual",
            new_id("event"),
            "manual",
            status,
            timezone.now(),
            OrderRef(order_id=order.id),
            money,
            reference,
        )
        applied = payments.apply(notice, actor=f"user:{by or getpass.getuser()}")
    console.print(
        f"{order_id}: payment {applied.payment_status}, order {applied.order_status} "
        f"({applied.outcome})"
    )
