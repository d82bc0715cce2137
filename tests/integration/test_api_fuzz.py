"""Schemathesis generates requests from the whole OpenAPI schema, valid and not: none may be
a 500. The caller is a superuser ``ops_manager``, so no operation hides behind a 403, and the
path parameters are often the IDs of seeded records (an allocated and a despatched order, their
shipments, a return, a refund, a webhook delivery), so the handlers run past their lookups.
The ``db`` fixture rolls each operation's changes back: every operation starts from the seed."""

import itertools
import signal

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from despatch import worker
from despatch.services import (
    catalogue,
    fulfillment,
    inventory,
    orders,
    refunds,
    returns,
    tokens,
    webhooks,
)
from tests.conftest import make_draft

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
SEEDED: dict[str, list[str]] = {}  # path parameter -> IDs of the seed, filled per test


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, swap each generated ID for one that exists."""
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    path = context.operation.path if context.operation else ""
    known = {}
    for name in path_parameters:
        key = f"{name}@{path.removeprefix('/api').split('/')[1]}" if name == "code" else name
        if SEEDED.get(key):
            known[name] = st.sampled_from(SEEDED[key])
    if not known:
        return st.just(path_parameters)
    real = st.fixed_dictionaries({**{k: st.just(v) for k, v in path_parameters.items()}, **known})
    return st.one_of(st.just(path_parameters), real)


# Values a generator seldom reaches that broke handlers before: times that leave the
# calendar when their working days are counted or they are put in UTC, text past every
# column's width (PostgreSQL refuses it where SQLite keeps it), half a surrogate pair.
EDGE_TIMES = ("9999-12-31T23:59:59Z", "9999-12-31T20:00:00-12:00", "0001-01-01T00:00:00+14:00")
EDGE_TEXT = ("x" * 5000, "9" * 40)
BROKEN_TEXT = ("\ud800",)  # in a JSON body only: a URL cannot carry it


@schema.hook
def flatmap_query(context, query):
    """Half the time, every query parameter the operation takes at an edge (a time, or long
    text), given or not."""
    names = [p.name for p in context.operation.query] if context.operation else []
    if not names or not (query is None or isinstance(query, dict)):
        return st.just(query)
    edges = {name: st.sampled_from(EDGE_TIMES + EDGE_TEXT) for name in names}
    return st.one_of(
        st.just(query),
        st.fixed_dictionaries({**{k: st.just(v) for k, v in (query or {}).items()}, **edges}),
    )


@schema.hook
def flatmap_body(context, body):
    """Half the time, each text in a JSON object body made one of the edge texts or times."""
    if not isinstance(body, dict):
        return st.just(body)
    texts = [k for k, v in body.items() if isinstance(v, str)]
    if not texts:
        return st.just(body)
    edge = st.fixed_dictionaries(
        {
            **{k: st.just(v) for k, v in body.items()},
            **{k: st.sampled_from(EDGE_TEXT + BROKEN_TEXT + EDGE_TIMES) for k in texts},
        }
    )
    return st.one_of(st.just(body), edge)


@pytest.fixture
def token(db, monkeypatch, settings, tmp_path):
    monkeypatch.setenv("DESPATCH_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("DESPATCH_RATES", str(tmp_path / "rates.json"))  # PUT /api/rates
    settings.HOME = tmp_path  # labels and manifests are written under it
    # As Django's test client does: keep the test's connection open across requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield _seed()
    SEEDED.clear()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _seed() -> str:
    catalogue.upsert_warehouse(code="LON", name="London")
    catalogue.upsert_skus([catalogue.SkuRow("A", "Apple")])
    catalogue.upsert_channel(code="web", name="Web shop", warehouses=["LON"])
    inventory.receive_stock(sku="A", warehouse="LON", quantity=50, actor="fuzz")
    tokens.ensure_user("fuzzer", "pw", roles=("ops_manager",), superuser=True)
    webhooks.subscribe(
        url="http://127.0.0.1:9/hook", events=["*"], secret="s", description="", actor="fuzz"
    )
    allocated, _ = orders.receive_order(make_draft([("A", 2)]), actor="fuzz")
    despatched, _ = orders.receive_order(make_draft([("A", 2)]), actor="fuzz")
    worker.drain("fuzz")
    shipments = {
        o.id: list(orders.get_order(o.id).shipments.all()) for o in (allocated, despatched)
    }
    (out,) = shipments[despatched.id]
    for step in (fulfillment.start_picking, fulfillment.pack):
        step(out.id, actor="fuzz")
    fulfillment.despatch(out.id, actor="fuzz", carrier="dpd", tracking_number="DPD1")
    rma = returns.request_return(despatched.id, {1: (1, "damaged")}, actor="fuzz")
    refund = refunds.request_refund(despatched.id, actor="fuzz", lines={1: 1}, reason="late")
    worker.drain("fuzz")
    _remember(allocated.id, despatched.id, shipments, rma.id, refund.id)
    return tokens.create_token("fuzzer")


def _remember(allocated, despatched, shipments, rma_id, refund_id) -> None:
    SEEDED.update(
        {
            "order_id": [allocated, despatched],
            "shipment_id": [s.id for s in itertools.chain(*shipments.values())],
            "rma_id": [rma_id],
            "refund_id": [refund_id],
            "delivery_id": [d.id for d in webhooks.deliveries(limit=5)],
            "subscription_id": [s.id for s in webhooks.subscriptions()],
            "code@warehouses": ["LON"],
            "code@skus": ["A"],
            "code@channels": ["web"],
        }
    )


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_api_fail_with_a_server_error(case, token):
    signal.signal(signal.SIGALRM, _too_slow)
    signal.alarm(SLOWEST)  # a request that never ends (a loop on crafted input) fails too
    try:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
        )
    finally:
        signal.alarm(0)


SLOWEST = 60  # seconds


def _too_slow(signum, frame):
    raise TimeoutError(f"the request took over {SLOWEST} s")
