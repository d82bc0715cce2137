"""Schemathesis generates requests from the OpenAPI schema, valid and not: none may be a 500."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from despatch.services import catalogue, inventory, tokens

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def token(db):
    # As Django's test client does: keep the test's connection open across requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield _seed()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _seed() -> str:
    catalogue.upsert_warehouse(code="LON", name="London")
    catalogue.upsert_skus([catalogue.SkuRow("A", "Apple")])
    inventory.receive_stock(sku="A", warehouse="LON", quantity=5, actor="fuzz")
    tokens.ensure_user("fuzzer", "pw", roles=("integrator",))
    return tokens.create_token("fuzzer")


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_api_fail_with_a_server_error(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
    )
