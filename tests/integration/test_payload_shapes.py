"""A platform's order of any shape is kept: every field of each adapter's fixture replaced by
any JSON value ends as a processed or a failed delivery naming the problem, never a crash that
the outbox would retry into a dead event."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from despatch.models import ChannelDelivery
from despatch.services import channels

FIXTURES = Path(__file__).parents[1] / "fixtures" / "channels"
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner, max_size=2)
    ),
    max_leaves=6,
)


def _paths(node, prefix=()):
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


def _replaced(payload, path, value):
    copy = json.loads(json.dumps(payload))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copy


@pytest.mark.parametrize(
    "kind, fixture",
    [
        ("shopify", "shopify_order_multicurrency.json"),
        ("woocommerce", "woocommerce_order.json"),
        ("ebay", "ebay_order.json"),
        ("amazon", "amazon_order_mfn.json"),
    ],
)
def test_any_field_of_any_shape_is_kept_and_answered(shop, kind, fixture):
    channels.configure_channel(code=f"{kind}-x", name=kind, type=kind)
    payload = json.loads((FIXTURES / fixture).read_text())
    paths = list(_paths(payload))

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.sampled_from(paths), values)
    def run(path, value):
        body = json.dumps(_replaced(payload, path, value)).encode()
        delivery, _ = channels.import_payload(f"{kind}-x", body, name="fuzz.json", kind=kind)
        delivery = ChannelDelivery.objects.get(pk=delivery.pk)
        assert delivery.status in ("processed", "failed"), (path, value)
        assert delivery.status == "processed" or delivery.error

    run()
