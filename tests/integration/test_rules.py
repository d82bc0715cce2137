"""Rule sets end to end: versions, application at validation, audit, holds, test runs."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.addresses import Address
from despatch.domain.errors import ValidationFailed
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft
from despatch.models import AuditEntry, ExceptionCase, Order, RuleSetVersion, Sku
from despatch.services import inventory, orders, rules, tokens
from tests.conftest import make_draft

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "rules.yaml"
PARIS = Address("Jo", "1 Rue de Rivoli", "Paris", "75001", "FR")
NEW_YORK = Address("Jo", "1 Main St", "New York", "10001", "US", region="NY")


def run(lines=(("A", 1),), **overrides):
    order, _ = orders.receive_order(make_draft(lines, **overrides), actor="test")
    worker.drain("test")
    return Order.objects.get(id=order.id)


@pytest.fixture
def ruled(shop):
    Sku.objects.filter(code="B").update(flags=["dangerous_goods"])
    return rules.load(EXAMPLE.read_text(), actor="user:boss", activate=True)


def test_a_rule_holds_restricted_goods_and_says_which_rule_and_version(ruled):
    order = run([("B", 1)], shipping_address=PARIS)
    assert order.status == "on_hold" and order.hold_reason == "compliance"
    assert order.hold_detail[0]["rule"] == "hazmat-domestic-only"
    case = ExceptionCase.objects.get(order_id=order.id)
    assert (case.kind, case.queue) == ("compliance", "compliance")
    entry = AuditEntry.objects.get(order_id=order.id, action="rules_applied")
    assert entry.detail["rules"] == [f"hazmat-domestic-only@v{ruled.version}"]
    assert entry.detail["rule_set"] == ruled.version
    orders.release_order(order.id, actor="user:compliance", note="sea freight agreed")
    worker.drain("test")
    order = Order.objects.get(id=order.id)
    assert order.status == "allocated"  # the person's decision stands on re-validation
    assert order.allocation["rules_released"] == ["hazmat-domestic-only"]


def test_route_priority_signature_and_no_split_decided_by_rules(ruled):
    inventory.receive_stock(sku="A", warehouse="NJ", quantity=2, actor="t")
    order = run([("A", 1)], shipping_address=NEW_YORK)  # LON comes first but is not allowed
    assert [s.warehouse_id for s in order.shipments.all()] == ["NJ"]
    assert order.allocation["explanation"][0].startswith("rejected LON: rule north-america")
    big = make_draft([("A", 1), ("C", 1)])
    big = big.__class__(
        **{**big.__dict__, "lines": (LineDraft("A", 2, Money(Decimal("300"), "GBP")), big.lines[1])}
    )
    order, _ = orders.receive_order(big, actor="test")
    worker.drain("test")
    order = Order.objects.get(id=order.id)
    assert order.priority == 10 and order.allocation["rules"]["signature"]
    assert order.status == "backordered"  # 2 A only in LON, C only in NJ: no split allowed
    assert order.allocation["strategy"].endswith("splitting forbidden")


def test_rules_that_leave_no_warehouse_hold_the_order_with_no_route(shop):
    text = "rules:\n  - id: nowhere\n    then: {exclude_warehouses: [LON, NJ]}\n"
    rules.load(text, actor="t", activate=True)
    order = run()
    assert order.status == "on_hold" and order.hold_reason == "no_route"
    assert {p["message"] for p in order.hold_detail} == {"excluded by rule nowhere"}
    assert ExceptionCase.objects.get(order_id=order.id).kind == "no_route"


def test_versions_are_kept_and_one_is_active(shop):
    first = rules.load(EXAMPLE.read_text(), actor="t")
    again = rules.load(EXAMPLE.read_text(), actor="t")
    assert again.version == first.version and not first.active
    second = rules.load(EXAMPLE.read_text() + "\n# tweak\n", actor="t", activate=True)
    assert second.version == first.version + 1
    rules.activate_version(first.version, actor="t")
    assert list(RuleSetVersion.objects.filter(active=True).values_list("version", flat=True)) == [
        first.version
    ]
    assert AuditEntry.objects.filter(subject_type="rule_set", action="activated").count() == 2
    with pytest.raises(ValidationFailed) as caught:
        rules.load("rules:\n  - id: x\n    then: {route_to: [MARS]}\n", actor="t")
    assert caught.value.errors[0].message == "line 3: unknown warehouse(s): MARS"


def test_a_candidate_is_tested_on_recent_orders_before_it_goes_live(shop, tmp_path):
    for _ in range(3):
        run([("B", 1)])  # LON ships B
    run([("A", 1), ("C", 1)])  # a split: A in LON, C in NJ
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        "rules:\n"
        "  - id: all-from-nj\n    then: {route_to: [NJ]}\n"
        "  - id: hold-big\n    when: {order_value: {gte: 19}}\n    then: {hold: manual}\n"
    )
    report = rules.test_candidate(candidate.read_text(), last=10)
    assert report.orders == 4 and report.current_version is None
    assert (report.holds_before, report.holds_after) == (0, 1)
    assert report.routes_changed == 3  # B moves to NJ; the split order would be held
    assert report.split_rate == (0.25, 0.0)
    result = CliRunner().invoke(app, ["rules", "test", str(candidate), "--last", "10"])
    assert result.exit_code == 0, result.output
    assert "4 order(s) replayed" in result.output and "25.0%" in result.output
    assert "ships from: LON -> NJ" in result.output
    assert Order.objects.filter(status="on_hold").count() == 0  # a test changes nothing


def test_rules_through_the_cli_and_the_api(shop, client, tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: a\n    when: {colour: red}\n    then: {tag: x}\n")
    checked = runner.invoke(app, ["rules", "check", str(bad)])
    assert checked.exit_code != 0 and "line 3: unknown condition 'colour'" in checked.output
    tokens.ensure_user("boss", "pw", roles=("ops_manager",))  # --by names a user who may
    loaded = runner.invoke(app, ["rules", "load", str(EXAMPLE), "--activate", "--by", "boss"])
    assert loaded.exit_code == 0 and "active" in loaded.output, loaded.output
    listed = runner.invoke(app, ["rules", "list"])
    assert "user:boss" in listed.output
    shown = runner.invoke(app, ["rules", "show"])
    assert "hazmat-domestic-only" in shown.output

    tokens.ensure_user("boss", "pw", roles=("ops_manager",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('boss')}"}
    answer = client.post(
        "/api/rules",
        json.dumps({"source": bad.read_text()}),
        content_type="application/json",
        **auth,
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "rules[0].when.colour"
    created = client.post(
        "/api/rules",
        json.dumps({"source": "rules:\n  - id: tag-all\n    then: {tag: seen}\n"}),
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201 and not created.json()["active"]
    version = created.json()["version"]
    assert client.post(f"/api/rules/{version}/activate", **auth).json()["active"]
    assert client.get("/api/rules/active", **auth).json()["version"] == version
    tested = client.post(
        "/api/rules/test",
        json.dumps({"source": EXAMPLE.read_text(), "last": 5}),
        content_type="application/json",
        **auth,
    )
    assert tested.status_code == 200 and tested.json()["current_version"] == version
    assert run().tags == ["seen"]


def test_customer_tags_from_the_api_drive_a_rule_and_old_fingerprints_hold(shop):
    from despatch.services.orders import fingerprint

    rules.load(
        "rules:\n  - id: vip-first\n    when: {customer_tags: [vip]}\n    then: {priority: 50}\n",
        actor="t",
        activate=True,
    )
    vip = run(customer_tags=("VIP",))
    assert vip.customer_tags == ["VIP"] and vip.priority == 50
    plain = make_draft()
    content = plain.__dict__.copy()
    assert "customer_tags" in content
    tagged = plain.__class__(**{**content, "customer_tags": ("vip",)})
    assert fingerprint(plain) != fingerprint(tagged)
    import hashlib
    import json as json_module
    from dataclasses import asdict

    without = asdict(plain)
    # The draft as it was before these fields existed: tags, then the platform's stated total,
    # the paid time and the channel's ship-by, and each line's exact total and platform ID.
    for key in ("customer_tags", "stated_total", "paid_at", "channel_ship_by", "billing_address"):
        del without[key]
    for line in without["lines"]:
        del line["line_total"], line["external_line_id"]
    legacy = hashlib.sha256(
        json_module.dumps(without, sort_keys=True, default=str).encode()
    ).hexdigest()
    assert fingerprint(plain) == legacy  # orders received before tags existed still match


def test_the_rules_page_shows_versions_and_tries_a_candidate(shop, client):
    tokens.ensure_user("boss", "pw", roles=("ops_manager",))
    client.login(username="boss", password="pw")
    empty = client.get("/rules/")
    assert empty.status_code == 200 and b"No rule set loaded" in empty.content
    rules.load(EXAMPLE.read_text(), actor="user:boss", activate=True)
    run([("B", 1)])
    page = client.get("/rules/")
    assert b"hazmat-domestic-only" in page.content and b"<b>active</b>" in page.content
    tried = client.post(
        "/rules/", {"source": "rules:\n  - id: all\n    then: {hold: manual}\n", "last": "10"}
    )
    assert b"1 order(s) replayed" in tried.content
    assert b"hold: none -&gt; manual (all)" in tried.content
    wrong = client.post("/rules/", {"source": "rules:\n  - id: x\n    when: {colour: red}\n"})
    assert b"line 3: unknown condition" in wrong.content
