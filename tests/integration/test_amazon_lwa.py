"""Amazon access tokens from the seller's LWA refresh token, against a local fake endpoint."""

import json
import logging
import time

import pytest

from despatch.domain.errors import Unavailable
from despatch.integrations.channels import amazon, lwa
from despatch.integrations.channels.base import Connection, StockUpdate
from despatch.models import AuditEntry
from despatch.services import channels
from tests.integration.fake_platforms import LWA_PATH, Answer, fake_platform, lwa_token

pytestmark = pytest.mark.django_db

REFRESH = "Atzr|IwEBIN-the-refresh-token"
SECRET = "amzn1.oa2-cs.v1.the-client-secret"


@pytest.fixture(autouse=True)
def fresh_cache():
    lwa.forget()
    yield
    lwa.forget()


def sp_api(method, path, body):
    if path.startswith(LWA_PATH):
        return lwa_token(body, refresh_token=REFRESH, client_id="amzn1.app", client_secret=SECRET)
    if path.startswith("/orders/v0/orders?"):
        return Answer(200, {"payload": {"Orders": []}})
    return Answer(200, {"sku": "x", "status": "ACCEPTED", "submissionId": "s1"})


def amazon_channel(url, *, token=REFRESH, secret=SECRET):
    channels.configure_channel(
        code="amz-uk",
        name="Amazon UK",
        type="amazon",
        api_url=url,
        token=token,
        settings={
            "marketplace_ids": ["A1F83G8C2ARO7P"],
            "seller_id": "A2EXAMPLE",
            "lwa_client_id": "amzn1.app",
            "lwa_client_secret": secret,
            "lwa_token_url": f"{url}{LWA_PATH}",
        },
    )


def test_pulls_carry_an_access_token_exchanged_once_for_the_refresh_token(caplog):
    caplog.set_level(logging.DEBUG)
    with fake_platform(route=sp_api) as platform:
        amazon_channel(platform.url)
        channels.pull("amz-uk")
        channels.pull("amz-uk")
    exchanges = platform.calls("POST", LWA_PATH)
    assert len(exchanges) == 1  # cached until it expires
    sent = exchanges[0]
    assert sent["headers"]["content-type"].startswith("application/x-www-form-urlencoded")
    assert sent["body"] == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": "amzn1.app",
        "client_secret": SECRET,
    }
    pulls = platform.calls("GET", "/orders/v0/orders?")
    assert len(pulls) == 2
    issued = {r["headers"]["x-amz-access-token"] for r in pulls}
    assert len(issued) == 1 and issued.pop().startswith("Atza|")
    assert REFRESH not in caplog.text and SECRET not in caplog.text


def test_the_secret_and_refresh_token_never_reach_the_audit_or_the_api(api_call):
    with fake_platform(route=sp_api) as platform:
        amazon_channel(platform.url)
    trail = json.dumps(list(AuditEntry.objects.values("before", "after", "detail")))
    assert SECRET not in trail and REFRESH not in trail and "sha256:" in trail
    status, listed = api_call("get", "/api/channels")
    assert status == 200
    shown = next(c for c in listed if c["code"] == "amz-uk")
    assert shown["settings"]["lwa_client_id"] == "amzn1.app"
    assert shown["settings"]["lwa_client_secret"].startswith("*** sha256:")
    assert SECRET not in json.dumps(listed) and REFRESH not in json.dumps(listed)


def test_a_refused_refresh_token_fails_the_call_without_showing_it(caplog):
    with fake_platform(route=sp_api) as platform:
        amazon_channel(platform.url, token="Atzr|revoked")
        with pytest.raises(Unavailable) as refused:
            channels.pull("amz-uk")
        amazon_channel(platform.url, secret="wrong")
        with pytest.raises(Unavailable) as bad_client:
            channels.pull("amz-uk")
    assert "invalid_grant" in refused.value.detail and "revoked" not in refused.value.detail
    assert "invalid_client" in bad_client.value.detail and "wrong" not in bad_client.value.detail
    assert platform.calls("GET", "/orders/v0/orders?") == []
    assert "revoked" not in caplog.text


def test_stock_pushes_use_the_exchanged_token_and_a_new_one_after_expiry():
    now = [time.monotonic()]  # the push below reads the real clock: start the fake one there
    with fake_platform(route=sp_api) as platform:
        amazon_channel(platform.url)
        conn = Connection(
            platform.url,
            REFRESH,
            {
                "marketplace_ids": ["A1F83G8C2ARO7P"],
                "seller_id": "A2EXAMPLE",
                "lwa_client_id": "amzn1.app",
                "lwa_client_secret": SECRET,
                "lwa_token_url": f"{platform.url}{LWA_PATH}",
            },
        )
        first = lwa.access_token(conn, clock=lambda: now[0])
        assert amazon.push_stock(conn, [StockUpdate("SKU-1", "", 3)]) == {}
        now[0] += 3600 - lwa.MARGIN - 1  # still good
        assert lwa.access_token(conn, clock=lambda: now[0]) == first
        now[0] += 2  # within a minute of expiry: a new one
        second = lwa.access_token(conn, clock=lambda: now[0])
    assert second != first
    assert len(platform.calls("POST", LWA_PATH)) == 2
    patch = platform.calls("PATCH", "/listings/")[0]
    assert patch["headers"]["x-amz-access-token"] == first


def test_without_a_client_id_the_token_is_sent_as_it_is():
    assert lwa.access_token(Connection("http://x", "Atza|given")) == "Atza|given"
