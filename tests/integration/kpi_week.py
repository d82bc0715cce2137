"""A known week for the KPI tests: orders, shipments, floor scans, exceptions, returns, refunds
and stock counts stored with fixed times (Mon 1 to Mon 8 June 2026, UTC), so that every figure
has one right value. docs/kpis.md works the same week through by hand."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from despatch.domain.ids import new_id
from despatch.models import (
    ExceptionCase,
    Order,
    OrderLine,
    Refund,
    Reservation,
    ReturnLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
    Sku,
)
from despatch.services import catalogue, channels
from despatch.services.audit import Trail

START, END = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 8, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def audit(actor: str, when: datetime, *args, **kwargs) -> None:
    trail = Trail(actor, at=when)
    trail.add(*args, **kwargs)
    trail.save()


class Week:
    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}

    def order(self, name, received, *, channel="shop", status="allocated", qty=1, **fields):
        order = Order.objects.create(
            id=new_id("order"),
            channel=channel,
            external_id=name,
            fingerprint=name,
            status=status,
            payment_status="paid",
            currency="GBP",
            total_amount=Decimal("10"),
            created_at=received,
            updated_at=received,
            **fields,
        )
        OrderLine.objects.create(
            id=new_id("line"), order=order, line_no=1, sku="A", quantity=qty, unit_price=10
        )
        self.orders[name] = order
        return order

    def parcel(self, name, warehouse, ship_by: date, despatched=None, status=None):
        order = self.orders[name]
        line = order.lines.get()
        shipment = Shipment.objects.create(
            id=new_id("shipment"),
            order=order,
            warehouse_id=warehouse,
            status=status or ("despatched" if despatched else "allocated"),
            ship_by=ship_by,
            created_at=order.created_at,
            updated_at=order.created_at,
        )
        reservation = Reservation.objects.create(
            id=new_id("reservation"),
            order=order,
            line=line,
            sku_id="A",
            warehouse_id=warehouse,
            quantity=line.quantity,
            status="allocated",
            created_at=order.created_at,
        )
        ShipmentLine.objects.create(
            shipment=shipment,
            line=line,
            sku_id="A",
            quantity=line.quantity,
            reservation=reservation,
        )
        if despatched:
            audit(
                "user:sam",
                despatched,
                "shipment",
                shipment.id,
                "despatched",
                order_id=order.id,
                warehouse=warehouse,
            )
        return shipment

    def case(self, kind, opened, due, resolved=None, order=None):
        return ExceptionCase.objects.create(
            id=new_id("exception"),
            kind=kind,
            queue="q",
            subject=f"{kind}:{new_id('exception')}",
            order=self.orders[order] if order else None,
            summary=kind,
            status="resolved" if resolved else "open",
            priority=1,
            opened_at=opened,
            due_at=due,
            resolved_at=resolved,
            updated_at=opened,
        )

    def give_back(self, name, reason, warehouse="W1"):
        order = self.orders[name]
        rma = ReturnRequest.objects.create(
            id=new_id("return"),
            order=order,
            warehouse_id=warehouse,
            status="requested",
            source="api",
            requested_by="t",
            created_at=at(6),
        )
        ReturnLine.objects.create(
            rma=rma, line=order.lines.get(), sku="A", quantity=1, reason=reason
        )

    def refund(self, name, amount, currency, succeeded=None, status="succeeded"):
        Refund.objects.create(
            id=new_id("refund"),
            order=self.orders[name],
            kind="refund",
            amount=Decimal(amount),
            currency=currency,
            status=status,
            approvals_needed=0,
            requested_by="t",
            created_at=at(5),
            updated_at=at(5),
            succeeded_at=succeeded,
        )


def build() -> Week:
    catalogue.upsert_warehouse(code="W1", name="Leeds", time_zone="UTC", priority=1)
    catalogue.upsert_warehouse(code="W2", name="NJ", time_zone="America/New_York", priority=2)
    for code in ("shop", "market"):
        channels.configure_channel(code=code, name=code, type="api", warehouses=["W1"], actor="t")
    Sku.objects.create(code="A", name="Item A")
    w = Week()
    # despatched in the week
    w.order(
        "O1",
        at(1, 10),
        status="delivered",
        despatched_at=at(1, 16),
        delivered_at=at(3, 10),
        promise_date=date(2026, 6, 3),
    )
    w.parcel("O1", "W1", date(2026, 6, 1), at(1, 16), status="delivered")
    w.order(
        "O2",
        at(2, 9),
        status="delivered",
        despatched_at=at(3, 9),
        delivered_at=at(6, 12),
        promise_date=date(2026, 6, 5),
    )
    w.parcel("O2", "W1", date(2026, 6, 2), at(3, 9), status="delivered")
    w.order("O3", at(3, 8), status="despatched", despatched_at=at(4, 2), qty=2)
    w.parcel("O3", "W1", date(2026, 6, 3), at(3, 20))
    w.parcel("O3", "W2", date(2026, 6, 3), at(4, 2))  # 22:00 in New Jersey: on time
    w.order("O4", at(4, 12), status="despatched", despatched_at=at(4, 14))
    w.parcel("O4", "W1", date(2026, 6, 4), at(4, 14))
    w.order("O5", at(5, 10), channel="market", status="despatched", despatched_at=at(5, 11))
    w.parcel("O5", "W1", date(2026, 6, 5), at(5, 11))
    OrderLine.objects.filter(order=w.orders["O5"]).update(cancelled=1)  # not complete
    # cancelled, open, late
    w.order("O6", at(6, 10), status="cancelled", cancelled_at=at(6, 11))
    w.order("O7", at(7, 20))
    w.parcel("O7", "W1", date(2026, 6, 8))
    w.order("O8", at(7, 23), status="on_hold")
    audit(
        "system",
        at(7, 23),
        "order",
        w.orders["O8"].id,
        "oversold",
        order_id=w.orders["O8"].id,
        short={"A": 2},
    )
    w.order("O9", at(30, 10, month=5))
    w.parcel("O9", "W1", date(2026, 6, 1))
    w.order("O10", at(6, 0))
    w.parcel("O10", "W1", date(2026, 6, 6))
    w.order("O11", at(6, 12))
    w.parcel("O11", "W1", date(2026, 6, 8))
    w.order("O12", END)  # received as the week ends: not in it
    # exceptions, returns, refunds
    w.case("delivery_warning", at(5, 10), at(5, 14), at(5, 12), order="O4")
    w.case("short_pick", at(2, 10), at(2, 11), at(2, 13), order="O2")
    w.case("short_pick", at(4, 10), at(4, 11), at(4, 10, 30), order="O4")
    w.case("invalid_address", at(7, 23), at(8, 3), order="O8")
    w.case("manual", at(30, 10, month=5), at(31, 10, month=5), order="O9")
    w.case("qc_due", at(7, 18), at(7, 20))
    w.give_back("O3", "damaged")
    w.give_back("O4", "changed_mind")
    w.refund("O3", "20", "GBP", at(6, 9))
    w.refund("O4", "15.5", "EUR", at(7, 9))
    w.refund("O1", "5", "GBP", END)
    w.refund("O2", "7", "GBP", status="requested")
    _floor(w)
    return w


def _floor(w: Week) -> None:
    o1, o2, o3 = (w.orders[n].id for n in ("O1", "O2", "O3"))
    audit(
        "user:pia", at(1, 12, 10), "pick_task", "1", "picked", order_id=o1, units=3, warehouse="W1"
    )
    audit("user:pia", at(1, 12, 20), "pick_task", "2", "wrong_scan", order_id=o2, warehouse="W1")
    audit(
        "user:pia", at(1, 12, 50), "pick_task", "2", "picked", order_id=o2, units=2, warehouse="W1"
    )
    audit(
        "user:pia", at(2, 9, 30), "pick_task", "3", "picked", order_id=o2, units=5, warehouse="W1"
    )
    audit("user:pete", at(3, 10), "pick_task", "4", "picked", order_id=o3, units=4, warehouse="W2")
    audit(
        "user:pete",
        at(3, 10, 20),
        "pick_task",
        "5",
        "short_pick",
        order_id=o3,
        units=2,
        missing=1,
        warehouse="W2",
    )
    audit(
        "user:pia",
        START - timedelta(minutes=1),
        "pick_task",
        "6",
        "picked",
        order_id=o1,
        units=9,
        warehouse="W1",
    )
    for when, order in ((at(1, 15), o1), (at(1, 15, 30), o2), (at(3, 19), o3)):
        audit("user:pat", when, "shipment", "shp", "packed", order_id=order, warehouse="W1")
    for key, when, before, after in (
        ("A@W1", at(2), 10, 10),
        ("B@W1", at(3), 5, 4),
        ("A@W2", at(4), 3, 3),
        ("C@W1", END, 1, 2),
    ):
        audit(
            "user:cy",
            when,
            "stock",
            key,
            "stock_counted",
            before={"on_hand": before},
            after={"on_hand": after},
        )


@pytest.fixture
def week(db):
    return build()
