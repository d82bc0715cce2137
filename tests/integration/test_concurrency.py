"""Many processes at once against one real database (SQLite file or PostgreSQL)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import F, Sum

from despatch import worker
from despatch.models import Order, OrderLine, OutboxEvent, Reservation, StockLevel
from despatch.services import audit, catalogue, channels, inventory, listings, orders
from tests.conftest import make_draft

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 16


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def spawn(*args: str) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [sys.executable, "-m", "tests.integration.race_client", *a],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in args
    ]


def results(procs: list[subprocess.Popen]) -> list[dict]:
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, stderr[-3000:]
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_sixteen_processes_racing_for_the_last_units_never_oversell():
    catalogue.upsert_warehouse(code="LON", name="London", priority=1)
    catalogue.upsert_warehouse(code="NJ", name="New Jersey", priority=2)
    catalogue.upsert_skus(catalogue.SkuRow(code, code) for code in ("HOT1", "HOT2", "HOT3"))
    supply = {("HOT1", "LON"): 7, ("HOT1", "NJ"): 4, ("HOT2", "LON"): 5, ("HOT3", "NJ"): 6}
    for (sku, warehouse), qty in supply.items():
        inventory.receive_stock(sku=sku, warehouse=warehouse, quantity=qty, actor="test")
    start = str(time.time() + 3)
    procs = spawn(
        *[("receive", database_url(), start, str(seed), "6") for seed in range(PROCESSES)]
    )
    created = [oid for r in results(procs) for oid in r["created"]]

    assert len(created) == len(set(created)) == PROCESSES * 6  # none lost, none duplicated
    assert Order.objects.filter(channel="race").count() == PROCESSES * 6
    assert inventory.ledger_breaks() == []
    for level in StockLevel.objects.all():
        assert 0 <= level.reserved <= level.on_hand == supply[(level.sku_id, level.warehouse_id)]
    live = ("active", "allocated")
    for line in OrderLine.objects.filter(order__channel="race").select_related("order"):
        held = (
            Reservation.objects.filter(line=line, status__in=live).aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        if line.order.status == "allocated":
            assert held == line.quantity and line.backordered == 0
        else:
            assert line.order.status == "backordered"
            assert held + line.backordered == line.quantity
    statuses = set(Order.objects.filter(channel="race").values_list("status", flat=True))
    assert statuses <= {"allocated", "backordered"} and "allocated" in statuses
    assert sum(supply.values()) == StockLevel.objects.aggregate(n=Sum("reserved"))["n"]
    assert audit.verify().ok  # sixteen processes appended to one chain, in turn


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_several_workers_never_handle_the_same_event_twice():
    catalogue.upsert_warehouse(code="LON", name="London", priority=1)
    catalogue.upsert_skus([catalogue.SkuRow("A", "A")])
    inventory.receive_stock(sku="A", warehouse="LON", quantity=1000, actor="test")
    channels.configure_channel(code="shop", name="Shop", type="shopify")
    listings.set_listings("shop", [("A", "1")])
    worker.drain("setup")
    ids = [
        orders.receive_order(make_draft([("A", 1)], external_id=f"W{n}"), actor="t")[0].id
        for n in range(120)
    ]
    start = str(time.time() + 3)
    handled = [
        e for r in results(spawn(*[("drain", database_url(), start)] * 4)) for e in r["handled"]
    ]

    # 120 orders received, each reservation reports the stock it moved to the channel that
    # lists the SKU (120 more), and each allocation is offered to its subscribers (120 more)
    assert len(handled) == len(set(handled)) == 360
    assert OutboxEvent.objects.filter(topic="stock.changed").count() == 120
    assert set(Order.objects.filter(id__in=ids).values_list("status", flat=True)) == {"allocated"}
    assert StockLevel.objects.get().reserved == 120


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_webhooks_racing_for_one_order_make_exactly_one_order(tmp_path):
    from despatch.models import ChannelDelivery
    from despatch.services import channels

    catalogue.upsert_warehouse(code="LON", name="London", priority=1)
    catalogue.upsert_skus(catalogue.SkuRow(code, code) for code in ("SKU-0001", "SKU-0002"))
    channels.configure_channel(code="shop", name="Shop", type="shopify", webhook_secret="k")
    fixtures = ROOT / "tests" / "fixtures" / "channels"
    created = fixtures / "shopify_order_multicurrency.json"
    refunded = tmp_path / "refunded.json"
    payload = json.loads((fixtures / "shopify_order_partially_refunded.json").read_text())
    payload["id"] = 5678901234001
    refunded.write_text(json.dumps(payload))
    start = str(time.time() + 3)
    # 8 processes retry one delivery; 4 more send another delivery for the same order.
    runs = [("webhook", database_url(), start, "shop", "wh-same", str(created))] * 8
    runs += [
        ("webhook", database_url(), start, "shop", f"wh-upd-{n}", str(refunded)) for n in range(4)
    ]
    done = results(spawn(*runs))

    assert sum(r["new"] for r in done[:8]) == 1 and len({r["delivery"] for r in done[:8]}) == 1
    # the 7 retries of wh-same are kept as duplicates of the one stored delivery
    assert ChannelDelivery.objects.exclude(status="duplicate").count() == 5
    repeats = ChannelDelivery.objects.filter(status="duplicate")
    assert repeats.count() == 7 and {r.repeats_id for r in repeats} == {done[0]["delivery"]}
    assert Order.objects.filter(channel="shop").count() == 1
    assert set(
        ChannelDelivery.objects.exclude(status="duplicate").values_list("status", flat=True)
    ) == {"processed"}
    assert Order.objects.get(channel="shop").payment_status == "partially_refunded"
    assert audit.verify().ok  # every process appended to one chain, in turn


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_processes_appending_audit_entries_at_once_keep_one_total_chain():
    from despatch.models import AuditEntry

    start = str(time.time() + 3)
    written = results(spawn(*[("audit", database_url(), start, f"p{n}", "25") for n in range(8)]))

    total = sum(r["written"] for r in written)
    assert total == AuditEntry.objects.count() == 8 * 25 * 2
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    for who in range(8):  # each trail's two entries are adjacent: appended under one lock
        pairs = AuditEntry.objects.filter(actor=f"race:p{who}").order_by("seq")
        firsts = list(pairs.filter(action="first").values_list("seq", flat=True))
        seconds = list(pairs.filter(action="second").values_list("seq", flat=True))
        assert [s + 1 for s in firsts] == seconds
    verdict = audit.verify()
    assert verdict.ok and verdict.checked == total and verdict.head.seq == total


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_people_resolving_one_case_at_once_act_once():
    from despatch.models import AuditEntry, ExceptionCase

    catalogue.upsert_warehouse(code="LON", name="London", priority=1)
    held, _ = orders.receive_order(make_draft([("GHOST", 1)], external_id="X1"), actor="t")
    worker.drain("setup")
    case = ExceptionCase.objects.get(order_id=held.id)
    start = str(time.time() + 3)
    racers = [("resolve", database_url(), start, case.id, "cancel", f"p{n}") for n in range(6)]
    outcomes = results(spawn(*racers))

    assert sum(o["ok"] for o in outcomes) == 1
    assert {o["code"] for o in outcomes if not o["ok"]} <= {"conflict", "invalid_transition"}
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolution == "cancel"
    assert AuditEntry.objects.filter(order_id=held.id, action="cancel").count() == 1
    assert AuditEntry.objects.filter(subject_id=case.id, action="resolved").count() == 1


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_workers_escalating_at_once_escalate_each_case_once():
    from datetime import timedelta

    from despatch.models import AuditEntry, ExceptionCase

    catalogue.upsert_warehouse(code="LON", name="London", priority=1)
    for n in range(30):
        orders.receive_order(make_draft([("GHOST", 1)], external_id=f"E{n}"), actor="t")
    worker.drain("setup")
    assert ExceptionCase.objects.count() == 30
    ExceptionCase.objects.update(due_at=F("opened_at") - timedelta(minutes=1))
    start = str(time.time() + 3)
    counts = [r["escalated"] for r in results(spawn(*[("escalate", database_url(), start)] * 4))]

    assert sum(counts) == 30
    assert AuditEntry.objects.filter(action="escalated").count() == 30
    assert set(ExceptionCase.objects.values_list("owner", flat=True)) == {"group:ops-managers"}


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_a_payment_notice_delivered_many_times_at_once_is_applied_once():
    from despatch.domain.orders import PaymentStatus
    from despatch.models import AuditEntry, PaymentEvent

    catalogue.upsert_warehouse(code="LON", name="London", priority=1)
    catalogue.upsert_skus([catalogue.SkuRow("A", "A")])
    inventory.receive_stock(sku="A", warehouse="LON", quantity=5, actor="test")
    order, _ = orders.receive_order(
        make_draft([("A", 1)], payment_status=PaymentStatus.PENDING), actor="t"
    )
    worker.drain("setup")
    start = str(time.time() + 3)
    outcomes = [
        r["outcome"]
        for r in results(spawn(*[("payment", database_url(), start, order.id, "evt_once")] * 6))
    ]

    assert sorted(outcomes) == ["applied"] + ["duplicate"] * 5
    assert PaymentEvent.objects.count() == 1
    assert AuditEntry.objects.filter(order_id=order.id, action="payment_changed").count() == 1
    assert AuditEntry.objects.filter(order_id=order.id, action="release").count() == 1
    worker.drain("after")
    assert Order.objects.get(id=order.id).status == "allocated"
