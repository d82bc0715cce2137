"""Rule sets: reading with precise errors, conditions, actions and their precedence."""

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from despatch.domain.errors import ValidationFailed
from despatch.domain.rules import Facts, read_rule_set
from despatch.integrations import rulefiles

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "rules.yaml"
LONDON = ZoneInfo("Europe/London")


def facts(**changes):
    values = dict(
        channel="web",
        country="GB",
        postcode="LS1 4DY",
        order_value=Decimal("40.00"),
        currency="GBP",
        weight_g=900,
        skus=frozenset({"A"}),
        sku_tags=frozenset(),
        service="standard",
        customer_tags=frozenset(),
        at=datetime(2026, 11, 23, 10, 0, tzinfo=LONDON),
    )
    values.update(changes)
    return Facts(**values)


def example():
    data, _ = rulefiles.parse(EXAMPLE.read_text())
    return read_rule_set(data, ["LON", "NJ"])


def test_the_example_reads_and_an_ordinary_order_matches_nothing():
    rules = example()
    assert len(rules.rules) == 5 and rules.time_zone == "Europe/London"
    assert rules.evaluate(facts()).applied == ()


def test_dangerous_goods_abroad_are_held_for_compliance():
    outcome = example().evaluate(facts(sku_tags=frozenset({"dangerous_goods"}), country="FR"))
    assert outcome.hold == (
        "compliance",
        "dangerous goods cannot be sent outside GB",
        "hazmat-domestic-only",
    )
    at_home = example().evaluate(facts(sku_tags=frozenset({"dangerous_goods"})))
    assert at_home.hold is None


def test_postcode_prefixes_ignore_spaces_and_case():
    outcome = example().evaluate(facts(postcode="hs1 2aa"))
    assert outcome.carrier == ("royalmail", "highlands-and-islands") and outcome.tags == ("remote",)
    assert example().evaluate(facts(postcode="PA20 0AA")).applied == ("highlands-and-islands",)
    assert example().evaluate(facts(postcode="PA1 1AA")).applied == ()


def test_value_bounds_and_several_rules_applying_together():
    outcome = example().evaluate(facts(order_value=Decimal("500"), country="US", postcode="10001"))
    assert outcome.applied == ("high-value-signed", "north-america-from-nj")
    assert outcome.signature == "high-value-signed" and outcome.forbid_split
    assert outcome.priority == (10, "high-value-signed")
    assert outcome.route_to == (("NJ",), "north-america-from-nj")
    assert outcome.allows("NJ") and not outcome.allows("LON")
    assert example().evaluate(facts(order_value=Decimal("499.99"))).applied == ()


def test_time_windows_are_read_in_the_rule_set_time_zone():
    friday_late = datetime(2026, 11, 27, 15, 30, tzinfo=LONDON)
    assert example().evaluate(facts(service="express", at=friday_late)).tags == ("weekend-risk",)
    friday_early = datetime(2026, 11, 27, 14, 59, tzinfo=LONDON)
    assert example().evaluate(facts(service="express", at=friday_early)).tags == ()


def test_the_first_rule_wins_single_actions_and_stop_ends_the_evaluation():
    data = {
        "rules": [
            {"id": "a", "when": {"channel": "web"}, "then": {"set_service": "express", "tag": "x"}},
            {"id": "b", "then": {"set_service": "economy", "tag": ["y"]}, "stop": True},
            {"id": "c", "then": {"tag": "z"}},
        ]
    }
    outcome = read_rule_set(data).evaluate(facts())
    assert outcome.applied == ("a", "b") and outcome.service == ("express", "a")
    assert outcome.tags == ("x", "y")


def test_a_released_rule_hold_is_not_asked_again_but_its_other_actions_apply():
    data = {"rules": [{"id": "h", "then": {"hold": "manual", "tag": "checked"}}]}
    outcome = read_rule_set(data).evaluate(facts(), frozenset({"h"}))
    assert outcome.hold is None and outcome.tags == ("checked",)


def test_errors_name_the_line_and_the_field():
    text = """\
name: broken
rules:
  - id: one
    when:
      country: [GB]
      colour: red
    then:
      hold: later
  - id: one
    when:
      order_value: {above: 10}
      time: {days: [fri], after: "25:00"}
    then:
      route_to: [MARS]
      priority: high
"""
    data, lines = rulefiles.parse(text)
    with pytest.raises(ValidationFailed) as caught:
        try:
            read_rule_set(data, ["LON", "NJ"])
        except ValidationFailed as exc:
            raise rulefiles.place(exc, lines) from None
    said = {e.field: e.message for e in caught.value.errors}
    assert said["rules[0].when.colour"].startswith("line 6: unknown condition 'colour'")
    assert said["rules[0].then.hold"].startswith("line 8: 'later' is not a hold")
    assert said["rules[1].id"].startswith("line 9: 'one' is used twice")
    assert said["rules[1].when.order_value"].startswith("line 11:")
    assert said["rules[1].when.time.after"].startswith("line 12:")
    assert said["rules[1].then.route_to"] == "line 14: unknown warehouse(s): MARS"
    assert said["rules[1].then.priority"].startswith("line 15:")


def test_yaml_that_does_not_parse_says_where():
    with pytest.raises(ValidationFailed) as caught:
        rulefiles.parse("rules:\n  - id: a\n    when: {country: [GB\n")
    assert caught.value.errors[0].message.startswith("line ")


def test_unquoted_times_read_as_yaml_sexagesimal_still_mean_hh_mm():
    data, _ = rulefiles.parse(
        "rules:\n  - id: t\n    when: {time: {after: 16:00}}\n    then: {tag: late}\n"
    )
    rules = read_rule_set(data)
    late = datetime(2026, 11, 23, 16, 30, tzinfo=ZoneInfo("UTC"))
    assert rules.evaluate(facts(at=late)).tags == ("late",)
    assert rules.evaluate(facts(at=late.replace(hour=15))).tags == ()


def test_an_error_on_a_key_with_brackets_of_its_own_is_placed_without_hanging():
    from despatch.domain.errors import FieldError, ValidationFailed
    from despatch.integrations.rulefiles import parse, place

    _, lines = parse("rules:\n  - id: a\n    when: {'x]': 1}\n")
    placed = place(ValidationFailed([FieldError("rules[0].when.y]", "unknown")]), lines)
    assert placed.errors[0].message.startswith("line ")
