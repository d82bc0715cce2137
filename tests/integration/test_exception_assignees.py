"""Who a case may be given to: an active user who may work exceptions and whose scope reaches
the case's order. Anyone else is refused with 422 naming ``owner`` (API) or an error (CLI)."""

import pytest
from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.domain.errors import ValidationFailed
from despatch.services import exceptions, tokens
from tests.integration.test_exceptions import case_of, held
from tests.integration.test_permissions import bearer, call


@pytest.fixture
def case(shop):
    tokens.ensure_user("ivy", "pw", roles=("order_ops",))
    tokens.ensure_user("gone", "pw", roles=("order_ops",))
    from django.contrib.auth.models import User

    User.objects.filter(username="gone").update(is_active=False)
    tokens.ensure_user("pip", "pw", roles=("picker",))
    tokens.ensure_user("far", "pw", roles=("order_ops",))
    tokens.set_limits("far", scopes=("channel:elsewhere",))
    return case_of(held([("NOPE", 1)]))


@pytest.mark.parametrize(
    ("who", "why"),
    [
        ("gone", "'gone' is not an active user"),
        ("nobody", "'nobody' is not an active user"),
        ("pip", "pip may not resolve exceptions"),
        ("far", "far's warehouses and channels do not reach order"),
    ],
)
def test_a_case_is_not_given_to_someone_who_cannot_work_it(case, client, who, why):
    with pytest.raises(ValidationFailed) as refused:
        exceptions.assign(case.id, who, actor="user:lead")
    assert refused.value.errors[0].field == "owner" and why in refused.value.errors[0].message
    lead = bearer("lead", roles=("ops_manager",))
    path = f"/api/exceptions/{case.id}/assign"
    status, problem = call(client, lead, "POST", path, {"owner": f"user:{who}"})
    assert status == 422, problem
    assert problem["errors"][0]["field"] == "owner" and why in problem["errors"][0]["message"]
    said = CliRunner().invoke(app, ["exceptions", "assign", case.id, "--to", who])
    assert said.exit_code == 1 and why in said.output, said.output
    case.refresh_from_db()
    assert case.owner == "group:order-ops"


def test_a_case_goes_to_someone_who_can_work_it(case, client):
    lead = bearer("lead", roles=("ops_manager",))
    path = f"/api/exceptions/{case.id}/assign"
    status, body = call(client, lead, "POST", path, {"owner": "user:ivy"})
    assert status == 200 and body["owner"] == "user:ivy"
    status, body = call(client, lead, "POST", path, {"owner": "group:support"})
    assert status == 200 and body["owner"] == "group:support"
