"""A platform's API that answers with a redirect is not followed: the address a channel was
set up with is the only one Despatch calls with its token (a redirect could lead the call, and
the token, to an internal address such as a cloud metadata service)."""

import pytest

from despatch.domain.errors import Unavailable
from despatch.integrations.channels import http
from tests.integration.fake_platforms import Answer, fake_platform


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_from_a_platform_is_refused_and_not_followed(status):
    with fake_platform([Answer(200, {"secret": "internal"})] * 3) as inside:
        moved = Answer(status, {}, {"Location": f"{inside.url}/latest/meta-data"})
        with fake_platform([moved] * http.ATTEMPTS) as platform, pytest.raises(Unavailable) as no:
            http.call("GET", f"{platform.url}/orders.json", http.bearer("tok"), sleep=lambda s: 0)
    assert inside.requests == []  # neither the call nor its token went there
    assert f"redirect to {inside.url}/latest/meta-data" in str(no.value)
    assert len(platform.requests) == 1  # a refusal, not an outage to retry


@pytest.mark.parametrize(
    "retry_after, waited",
    [
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # an HTTP date (RFC 9110) already past
        ("soon", http.BACKOFF[0]),  # not a wait at all: the usual backoff
        ("-5", 0.0),
        ("nan", http.BACKOFF[0]),
        ("86400", http.MAX_RETRY_AFTER),
    ],
)
def test_any_retry_after_a_platform_sends_is_waited_sensibly(retry_after, waited):
    script = [Answer(429, {}, {"Retry-After": retry_after}), Answer(200, {"orders": []})]
    slept: list[float] = []
    with fake_platform(script) as platform:
        answer = http.call(
            "GET", f"{platform.url}/orders.json", http.bearer("t"), sleep=slept.append
        )
    assert answer.body == {"orders": []} and slept == [waited]
