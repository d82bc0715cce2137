"""SKU mappings remembered: a substitute can be saved as the channel's mapping, the next order
with that SKU is mapped, and every change of the map is audited."""

import json

import pytest
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain.errors import ValidationFailed
from despatch.models import AuditEntry, ExceptionCase
from despatch.services import channels, orders, resolutions, sku_maps
from tests.conftest import make_draft


def received(lines, channel="web"):
    order, _ = orders.receive_order(make_draft(lines, channel=channel), actor="t")
    worker.drain("w")
    return orders.get_order(order.id)


def test_a_remembered_substitute_maps_the_next_order(shop):
    channels.configure_channel(code="web", name="Web", type="api")
    first = received([("A", 1), ("THEIRS-B", 1)])
    assert (first.status, first.hold_reason) == ("on_hold", "unknown_sku")
    case = ExceptionCase.objects.get(order=first, status="open")
    resolutions.resolve(
        case.id,
        "substitute",
        actor="user:ann",
        fix=resolutions.Fix(line_no=2, sku="B", remember=True),
    )
    assert sku_maps.sku_map("web") == {"THEIRS-B": "B"}
    changed = AuditEntry.objects.get(subject_id="web", action="sku_map_changed")
    assert changed.actor == "user:ann" and changed.after == {"sku_map": {"THEIRS-B": "B"}}
    second = received([("THEIRS-B", 2)])
    assert second.status == "allocated" and [li.sku for li in second.lines.all()] == ["B"]
    mapped = AuditEntry.objects.get(order_id=second.id, action="sku_mapped")
    assert (mapped.before, mapped.after, mapped.reason_code) == ("THEIRS-B", "B", "channel_sku_map")
    other = received([("THEIRS-B", 1)], channel="elsewhere")  # per channel: not mapped there
    assert other.hold_reason == "unknown_sku"


def test_the_cli_and_the_api_keep_the_map(shop, client):
    channels.configure_channel(code="web", name="Web", type="api")
    runner = CliRunner()
    done = runner.invoke(app, ["channels", "map-sku", "web", "W-A", "A"])
    assert done.exit_code == 0 and "W-A -> A" in done.output
    bad = runner.invoke(app, ["channels", "map-sku", "web", "W-X", "GHOST"])
    assert bad.exit_code != 0 and "GHOST" in bad.output
    assert received([("W-A", 1)]).status == "allocated"

    from despatch.services import tokens

    tokens.ensure_user("admin", "pw", superuser=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('admin')}"}
    got = client.get("/api/channels/web/sku-map", **auth)
    assert got.status_code == 200 and got.json() == {"map": {"W-A": "A"}}
    body = json.dumps({"map": {"W-C": "C"}})
    put = client.put("/api/channels/web/sku-map", body, content_type="application/json", **auth)
    assert put.status_code == 200 and put.json() == {"map": {"W-C": "C"}}
    body = json.dumps({"map": {"W-C": "GHOST"}})
    put = client.put("/api/channels/web/sku-map", body, content_type="application/json", **auth)
    assert put.status_code == 422 and "sku_map.W-C" in put.content.decode()
    assert client.get("/api/channels/nope/sku-map", **auth).status_code == 404
    assert AuditEntry.objects.filter(subject_id="web", action="sku_map_changed").count() == 2
    with pytest.raises(ValidationFailed):
        sku_maps.map_sku("web", " ", "A", actor="t")


def test_the_exceptions_page_remembers_a_substitute_when_asked(shop, client):
    from despatch.services import tokens

    channels.configure_channel(code="web", name="Web", type="api")
    first = received([("A", 1), ("THEIRS-B", 1)])
    case = ExceptionCase.objects.get(order=first, status="open")
    tokens.ensure_user("sue", "pw", roles=("support",))
    client.login(username="sue", password="pw")
    page = client.get("/exceptions/").content.decode()
    assert 'name="remember"' in page and "Remember this mapping" in page
    done = client.post(
        "/exceptions/",
        {"ids": [case.id], "action": "substitute", "line_no": "2", "sku": "B", "remember": "on"},
        HTTP_HX_REQUEST="1",
    )
    assert "1 resolved: SKU replaced" in done.content.decode()
    assert sku_maps.sku_map("web") == {"THEIRS-B": "B"}
