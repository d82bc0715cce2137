"""Fraud rules: each adds points with a reason; the threshold holds."""

from decimal import Decimal

from despatch.domain.fraud import HOLD_AT, Facts, assess


def facts(**changes):
    base = dict(
        total=Decimal("40.00"),
        service="standard",
        has_email=True,
        has_phone=True,
        earlier_orders=3,
        earlier_cancelled=0,
        orders_last_day=0,
    )
    return Facts(**{**base, **changes})


def test_an_ordinary_order_scores_nothing():
    assert assess(facts()).score == 0 and not assess(facts()).hold


def test_each_rule_says_why():
    assert assess(facts(earlier_cancelled=2)).reasons == (
        "+30 2 earlier orders of this customer cancelled",
    )
    assert assess(facts(earlier_cancelled=9)).score == 50  # capped
    assert assess(facts(total=Decimal(600), has_phone=False)).reasons == (
        "+25 high value (600) with no phone",
    )
    assert assess(facts(orders_last_day=3)).score == 25
    first = assess(facts(total=Decimal(500), earlier_orders=0, service="Express"))
    assert first.reasons == ("+30 first order, Express shipping, high value (500)",)
    assert assess(facts(total=Decimal(2000))).reasons == ("+20 very high value (2000)",)


def test_rules_add_up_to_a_hold():
    risky = assess(
        facts(
            total=Decimal(2500),
            earlier_orders=0,
            service="express",
            has_phone=False,
            has_email=True,
        )
    )
    assert risky.score == 25 + 30 + 20 >= HOLD_AT and risky.hold
    assert not assess(facts(earlier_cancelled=2, orders_last_day=3)).hold  # 55: recorded only


def test_a_billing_country_other_than_the_shipping_country_is_a_signal():
    abroad = assess(facts(billing_country="fr", shipping_country="GB"))
    assert abroad.reasons == ("+20 billed in FR, shipped to GB",) and not abroad.hold
    assert assess(facts(billing_country="GB", shipping_country="GB")).score == 0
    assert assess(facts(billing_country="", shipping_country="GB")).score == 0  # none given
    high = assess(facts(total=Decimal(600), billing_country="NG", shipping_country="GB"))
    assert high.reasons == ("+35 billed in NG, shipped to GB, high value (600)",)
    first_express = facts(
        total=Decimal(600),
        service="express",
        earlier_orders=0,
        billing_country="NG",
        shipping_country="GB",
    )
    assert assess(first_express).score == 65 and assess(first_express).hold
