from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from despatch.domain.money import Money
from despatch.domain.totals import TOTAL_MISMATCH, OrderMoney, TotalCheck, plain


def gbp(amount):
    return Money(Decimal(amount), "GBP")


def test_agreeing_figures_raise_no_problem_and_the_stated_one_is_what_was_paid():
    check = TotalCheck(computed=gbp("40.00"), stated=gbp("40.00"))
    assert check.agrees and check.problem() is None and check.paid == gbp("40.00")
    assert TotalCheck(computed=gbp("12.50"), stated=None).paid == gbp("12.50")


def test_a_difference_names_both_amounts_as_money():
    problem = TotalCheck(computed=gbp("40"), stated=gbp("41.5")).problem()
    assert problem is not None and problem.code == TOTAL_MISMATCH and problem.field == "total"
    assert "states 41.50 GBP" in problem.message and "add up to 40.00 GBP" in problem.message


@given(st.integers(-(10**9), 10**9), st.sampled_from(["GBP", "JPY", "BHD", "EUR"]))
def test_money_is_printed_in_minor_units_never_in_exponent_form(minor, currency):
    amount = Money.from_minor(minor, currency).amount.normalize()  # e.g. Decimal('4E+1')
    text = plain(amount, currency)
    assert "E" not in text and Decimal(text) == amount
    places = {"GBP": 2, "JPY": 0, "BHD": 3, "EUR": 2}[currency]
    assert len(text.partition(".")[2]) == places


def test_the_order_money_shows_presentment_only_when_the_shopper_saw_another_currency():
    money = OrderMoney(
        currency="USD",
        total=Decimal("69.8400"),
        tax_total=Decimal("5.31"),
        taxes_included=True,
        discount_total=Decimal("10"),
        shipping_total=Decimal("12"),
        fee_total=Decimal("0"),
        presentment_currency="EUR",
        presentment_total=Decimal("64.2500"),
    )
    shown = money.as_dict()
    assert shown["total"] == "69.84" and shown["presentment"] == {
        "currency": "EUR",
        "total": "64.25",
    }
    assert money.said() == "69.84 USD (tax 5.31 included; shown as 64.25 EUR)"
    same = OrderMoney(
        "USD", Decimal(40), Decimal(0), False, Decimal(0), Decimal(0), Decimal(0), "USD"
    )
    assert same.as_dict()["presentment"] is None and same.as_dict()["computed_total"] is None
