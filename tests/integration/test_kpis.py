"""Every KPI of a known week has its exact value (docs/kpis.md works it through), through the
service, the API (with scopes) and the CLI."""

import csv
import io
import json
import re
from decimal import Decimal

from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.domain.permissions import Scope
from despatch.services import kpis, tokens
from tests.integration.kpi_week import END, START, at, week  # noqa: F401 (a fixture)

EXPECTED = {
    "orders_received": 10,
    "orders_despatched": 5,
    "on_time_despatch_rate": 0.8,
    "on_time_delivery_rate": 0.5,
    "median_cycle_time_hours": 6.0,
    "p90_cycle_time_hours": 24.0,
    "backlog_by_age": {"under_4h": 1, "4h_to_24h": 1, "1d_to_2d": 1, "over_2d": 2},
    "late_orders": 2,
    "perfect_order_rate": 0.2,
    "pick_rate_units_per_hour": {"user:pete": 6.0, "user:pia": 5.0},
    "pack_rate_parcels_per_hour": {"user:pat": 1.5},
    "pick_accuracy": 0.8889,
    "exceptions_by_reason": {
        "delivery_warning": {
            "count": 1,
            "resolved": 1,
            "median_hours_to_resolve": 2.0,
            "sla_breaches": 0,
        },
        "invalid_address": {
            "count": 1,
            "resolved": 0,
            "median_hours_to_resolve": None,
            "sla_breaches": 0,
        },
        "qc_due": {"count": 1, "resolved": 0, "median_hours_to_resolve": None, "sla_breaches": 1},
        "short_pick": {
            "count": 2,
            "resolved": 2,
            "median_hours_to_resolve": 1.75,
            "sla_breaches": 1,
        },
    },
    "oversold_units": 2,
    "split_rate": 0.125,
    "cancel_rate": 0.1,
    "return_rate": 0.4,
    "refund_value": [
        {"amount": Decimal("15.50"), "currency": "EUR"},
        {"amount": Decimal("20.00"), "currency": "GBP"},
    ],
    "stock_accuracy": 0.6667,
}


def figures(**filters):
    query = kpis.ask(start=START.isoformat(), end=END.isoformat(), **filters)
    return kpis.figures(query)


def test_every_kpi_of_the_known_week_has_its_exact_value(week):  # noqa: F811
    found = figures()
    assert found.report.values == EXPECTED


def test_each_figure_names_the_orders_behind_it(week):  # noqa: F811
    found = figures()
    names = {o.id: o.external_id for o in week.orders.values()}

    def behind(key, group):
        return sorted(names[i] for i in kpis.orders_behind(found, key, group)[group])

    assert behind("late_orders", "late") == ["O10", "O9"]
    assert behind("on_time_despatch_rate", "late") == ["O2"]
    assert behind("backlog_by_age", "over_2d") == ["O10", "O9"]
    assert behind("perfect_order_rate", "perfect") == ["O1"]
    assert behind("split_rate", "split") == ["O3"]
    assert behind("return_rate", "returned") == ["O3", "O4"]
    assert behind("exceptions_by_reason", "short_pick") == ["O2", "O4"]
    assert behind("pick_accuracy", "wrong_scan") == ["O2"]


def test_a_warehouse_counts_the_orders_that_ship_from_it(week):  # noqa: F811
    values = figures(warehouse="W2").report.values
    assert values["orders_received"] == 1 and values["orders_despatched"] == 1
    assert values["split_rate"] == 1.0 and values["on_time_despatch_rate"] == 1.0
    assert values["stock_accuracy"] == 1.0  # A@W2 only
    assert values["pick_rate_units_per_hour"] == {"user:pete": 6.0}
    assert values["pack_rate_parcels_per_hour"] == {}
    assert values["refund_value"] == [{"amount": Decimal("20.00"), "currency": "GBP"}]


def test_a_channel_counts_its_own_orders(week):  # noqa: F811
    values = figures(channel="market").report.values
    assert values["orders_received"] == 1 and values["cancel_rate"] == 0.0
    assert values["perfect_order_rate"] == 0.0  # O5 lost a unit
    assert values["backlog_by_age"] == {"under_4h": 0, "4h_to_24h": 0, "1d_to_2d": 0, "over_2d": 0}
    assert values["on_time_delivery_rate"] is None  # nothing delivered: nothing to measure


def test_an_empty_period_has_counts_of_zero_and_rates_of_null(week):  # noqa: F811
    query = kpis.ask(start="2026-01-01", end="2026-01-02")
    values = kpis.figures(query).report.values
    assert values["orders_received"] == 0 and values["on_time_despatch_rate"] is None
    assert values["median_cycle_time_hours"] is None and values["refund_value"] == []


def _bearer(username, **token_options):
    tokens.ensure_user(username, "pw", roles=("order_ops",))
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token(username, **token_options)}"}


def test_the_api_gives_every_key_and_respects_the_callers_scope(week, client):  # noqa: F811
    period = {"from": START.isoformat(), "to": END.isoformat()}
    response = client.get("/api/kpis", period, **_bearer("olive"))
    assert response.status_code == 200
    body = response.json()
    assert body["kpis"]["late_orders"] == 2 and body["kpis"]["split_rate"] == 0.125
    assert body["kpis"]["refund_value"][1] == {"amount": "20.00", "currency": "GBP"}
    assert body["time_zone"] == "UTC" and body["from"].startswith("2026-06-01")
    market = _bearer("mo", scopes=["channel:market"])
    assert client.get("/api/kpis", period, **market).json()["kpis"]["orders_received"] == 1
    outside = client.get("/api/kpis", {**period, "channel": "shop"}, **market)
    assert outside.status_code == 404


def test_the_api_lists_the_orders_behind_a_figure(week, client):  # noqa: F811
    auth = _bearer("olive")
    query = {"from": START.isoformat(), "to": END.isoformat(), "group": "late"}
    body = client.get("/api/kpis/late_orders/orders", query, **auth).json()
    assert body["groups"]["late"]["total"] == 2
    assert sorted(o["number"] for o in body["groups"]["late"]["orders"]) == ["O10", "O9"]
    assert client.get("/api/kpis/nonsense/orders", **auth).status_code == 404
    bad_group = client.get("/api/kpis/late_orders/orders", {"group": "x"}, **auth)
    assert bad_group.status_code == 422


def test_bad_periods_are_refused_naming_the_field(week, client):  # noqa: F811
    auth = _bearer("olive")
    for query, field in (
        ({"from": "2026-06-08", "to": "2026-06-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
        ({"warehouse": "NOPE"}, None),
    ):
        response = client.get("/api/kpis", query, **auth)
        assert response.status_code in (404, 422), (query, response.status_code)
        if field:
            assert field in json.dumps(response.json()), response.json()


def test_a_packer_may_not_read_the_kpis(week, client):  # noqa: F811
    tokens.ensure_user("pat", "pw", roles=("packer",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('pat')}"}
    response = client.get("/api/kpis", **auth)
    assert response.status_code == 403 and response.json()["permission"] == "reports.read"


def test_the_cli_prints_the_week_as_a_table_and_as_json(week):  # noqa: F811
    runner = CliRunner()
    period = ["--from", START.isoformat(), "--to", END.isoformat()]
    table = runner.invoke(app, ["kpis", *period])
    assert table.exit_code == 0, table.output
    assert "80.0%" in table.output and "15.50 EUR, 20.00 GBP" in table.output
    # each figure named in words, as on the dashboard, not by its JSON key
    assert "Orders received" in table.output and "Open orders by age" in table.output
    assert "under 4 hours" in table.output
    assert not re.search(r"\b[a-z]+_[a-z0-9_]+\b", table.output), table.output
    as_json = runner.invoke(app, ["kpis", *period, "--json"])
    assert json.loads(as_json.output)["kpis"]["pick_accuracy"] == 0.8889
    bad = runner.invoke(app, ["kpis", "--warehouse", "NOPE"])
    assert bad.exit_code == 1 and "NOPE" in bad.output


def test_a_scope_limits_what_the_service_loads(week):  # noqa: F811
    query = kpis.ask(
        start=START.isoformat(), end=END.isoformat(), scope=Scope(frozenset({"W2"}), None)
    )
    assert kpis.figures(query).report.values["orders_received"] == 1
    assert at(1) == START


def test_the_kpis_export_as_csv_from_the_cli_and_the_web(week, client):  # noqa: F811
    period = ["--from", START.isoformat(), "--to", END.isoformat()]
    out = CliRunner().invoke(app, ["kpis", *period, "--csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.output)))
    assert rows[0] == ["from", "to", "time_zone", "warehouse", "channel", "kpi", "part", "value"]
    by_part = {(r[5], r[6]): r[7] for r in rows[1:]}
    assert by_part[("pick_accuracy", "")] == "0.8889"
    assert by_part[("refund_value", "GBP")] == "20.00"
    assert by_part[("refund_value", "EUR")] == "15.50"
    assert {r[5] for r in rows[1:]} == set(EXPECTED)  # every KPI, even an empty one
    tokens.ensure_user("boss", "pw", roles=("ops_manager",))
    client.login(username="boss", password="pw")
    query = {"from": START.isoformat(), "to": END.isoformat()}
    answer = client.get("/kpis.csv", query)
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    assert list(csv.reader(io.StringIO(answer.content.decode()))) == rows
    assert client.get("/kpis.csv", {"from": "tomorrow"}).status_code == 400
    assert client.get("/kpis.csv", {"warehouse": "NOPE"}).status_code == 404
    client.logout()
    tokens.ensure_user("pat", "pw", roles=("packer",))
    client.login(username="pat", password="pw")
    assert client.get("/kpis.csv", query).status_code == 403
