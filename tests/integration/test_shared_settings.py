"""Settings every warehouse and channel shares (rule sets, the rate card, the carton list,
SKUs, notification templates) are changed only by a user with no scope: an ops manager
limited to some warehouses or channels gets 403 with the reason, at the API, the set-up
pages and the CLI's ``--by``, and the pages do not offer the forms."""

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.models import RuleSetVersion, Sku
from despatch.services import tokens
from tests.integration.test_permissions import bearer, call

RULES = {"source": "rules: []\n"}
SKU = {"code": "A", "name": "Changed by a limited manager"}
CHANGES = [  # (method, path, body)
    ("POST", "/api/rules", RULES),
    ("POST", "/api/rules/test", RULES),
    ("PUT", "/api/rates", {"carriers": []}),
    ("PUT", "/api/skus/A", SKU),
]
PAGES = [  # (page a limited manager may open or not, form it posts to)
    ("/rules/", "/rules/"),
    ("/setup/skus/", "/setup/skus/"),
    ("/setup/skus/A/", "/setup/skus/A/"),
    ("/setup/carriers/", "/setup/carriers/"),
    ("/setup/cartons/", "/setup/cartons/"),
]


@pytest.fixture
def olga(shop):
    """An ops manager limited to the London warehouse."""
    tokens.ensure_user("olga", "pw", roles=("ops_manager",))
    tokens.set_limits("olga", scopes=("warehouse:LON",))
    return "olga"


@pytest.mark.parametrize(("method", "path", "body"), CHANGES)
def test_a_limited_manager_cannot_change_shared_settings_through_the_api(
    olga, client, method, path, body
):
    limited = bearer("olga")
    status, problem = call(client, limited, method, path, body)
    assert status == 403, (status, problem)
    assert problem["code"] == "forbidden"
    assert "limited to some channels or warehouses" in problem["detail"], problem
    assert not RuleSetVersion.objects.exists()
    assert Sku.objects.get(code="A").name == "Item A"


def test_a_manager_with_no_scope_still_changes_them(shop, client):
    boss = bearer("boss", roles=("ops_manager",))
    status, sku = call(client, boss, "PUT", "/api/skus/A", SKU)
    assert status == 200 and sku["name"] == SKU["name"]
    assert call(client, boss, "POST", "/api/rules", RULES)[0] == 201


@pytest.mark.parametrize(("page", "form"), PAGES)
def test_the_set_up_pages_show_no_shared_form_to_a_limited_manager(olga, client, page, form):
    client.login(username="olga", password="pw")
    shown = client.get(page)
    assert shown.status_code == 200
    html = shown.content.decode()
    assert 'id="shared-only"' in html and "not limited to some warehouses" in html
    posted = client.post(form, {"name": "x", "source": "rules: []", "card": "{}", "code": "Z"})
    assert posted.status_code == 403
    assert "limited to some channels or warehouses" in posted.content.decode()
    assert Sku.objects.get(code="A").name == "Item A" and not Sku.objects.filter(code="Z")


def test_notification_templates_are_not_offered_to_a_limited_manager(olga, client):
    client.login(username="olga", password="pw")
    answer = client.get("/setup/notifications/")
    assert answer.status_code == 403
    assert "limited to some channels or warehouses" in answer.content.decode()
    assert "/setup/notifications/" not in client.get("/setup/").content.decode()


def test_the_cli_refuses_a_limited_manager(olga, tmp_path):
    card, skus = tmp_path / "rates.json", tmp_path / "skus.csv"
    card.write_text('{"carriers": []}', encoding="utf-8")
    skus.write_text("sku,name\nA,Changed\n", encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules: []\n", encoding="utf-8")
    for args in (
        ["shipping", "rates", str(card), "--by", "olga"],
        ["skus", "import", str(skus), "--by", "olga"],
        ["rules", "load", str(rules), "--by", "olga"],
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert "limited to some channels or warehouses" in result.output, result.output
    assert Sku.objects.get(code="A").name == "Item A"
    assert not RuleSetVersion.objects.exists()
