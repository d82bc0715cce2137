"""Any JSON at all is either a rate card or a list of named wrong fields, never a crash."""

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from despatch.domain.errors import ValidationFailed
from despatch.domain.rates import read_rate_card

EXAMPLE = json.loads((Path(__file__).parents[2] / "docs/examples/rates.json").read_text())
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
KEYS = ["services", "zones", "bands", "surcharges", "tracking", "countries", "price", "currency"]


def _replace_somewhere(card, path, value):
    node = card
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return card


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


PATHS = list(_paths(EXAMPLE))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATHS), json_values)
def test_a_card_with_any_field_of_any_shape_is_read_or_refused_by_name(path, value):
    card = _replace_somewhere(json.loads(json.dumps(EXAMPLE)), path, value)
    try:
        read_rate_card(card)
    except ValidationFailed as exc:
        assert exc.errors and all(e.field for e in exc.errors)


@given(json_values)
def test_any_json_is_read_or_refused_by_name(value):
    try:
        read_rate_card(value)
    except ValidationFailed as exc:
        assert exc.errors
