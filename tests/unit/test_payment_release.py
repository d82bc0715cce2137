"""Which payments let an order go forward, what an order waiting for its money is held with, and
what a payment notice does to an order."""

from itertools import product

import pytest

from despatch.domain.channel_settings import (
    CHANNEL_DECIDES,
    ChannelSettings,
    awaiting_payment,
    payment_releases,
)
from despatch.domain.orders import HoldReason, OrderStatus, PaymentStatus
from despatch.domain.payments import HOLDABLE, NoticeEffect, notice_effect

EVERY_CHANNEL = [
    ChannelSettings.read({"cash_on_delivery": cod, "release_authorised": authorised})
    for cod, authorised in product((False, True), repeat=2)
]


@pytest.mark.parametrize("payment", sorted(set(PaymentStatus) - CHANNEL_DECIDES))
def test_a_payment_the_channel_does_not_decide_releases_the_same_on_every_channel(payment):
    answers = {payment_releases(payment, settings) for settings in EVERY_CHANNEL}
    assert answers == {payment_releases(payment, ChannelSettings())}
    goes = payment in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED)
    assert answers == {goes}


@pytest.mark.parametrize("payment", sorted(CHANNEL_DECIDES))
def test_an_authorised_or_pending_payment_depends_on_the_channel(payment):
    assert {payment_releases(payment, settings) for settings in EVERY_CHANNEL} == {True, False}


def test_an_authorised_payment_waits_saying_the_channel_ships_captured_payments():
    problem = awaiting_payment(PaymentStatus.AUTHORISED)
    assert problem.field == "payment_status"
    assert problem.message == "payment is only authorised; this channel ships captured payments"
    assert problem.code == HoldReason.AWAITING_PAYMENT


@pytest.mark.parametrize(
    ("payment", "said"),
    [
        (PaymentStatus.PENDING, "payment is pending"),
        (PaymentStatus.FAILED, "payment is failed"),
        (PaymentStatus.REFUNDED, "payment is refunded"),
    ],
)
def test_any_other_payment_waits_naming_its_status(payment, said):
    problem = awaiting_payment(payment)
    assert (problem.field, problem.message, problem.code) == (
        "payment_status",
        said,
        HoldReason.AWAITING_PAYMENT,
    )


@pytest.mark.parametrize(
    "payment", [PaymentStatus.PAID, PaymentStatus.AUTHORISED, PaymentStatus.PARTIALLY_REFUNDED]
)
@pytest.mark.parametrize("status", [OrderStatus.ON_HOLD, OrderStatus.RECEIVED, OrderStatus.PACKED])
def test_money_arriving_may_release_the_order_whatever_it_is_doing(payment, status):
    assert notice_effect(payment, status) == NoticeEffect.RELEASE


def test_a_failed_payment_holds_only_an_order_not_yet_allocated_nor_held():
    assert {
        OrderStatus.RECEIVED,
        OrderStatus.VALIDATED,
        OrderStatus.BACKORDERED,
        OrderStatus.RESERVED,
    } == HOLDABLE
    for payment in (PaymentStatus.FAILED, PaymentStatus.VOIDED):
        for status in OrderStatus:
            expected = NoticeEffect.HOLD if status in HOLDABLE else NoticeEffect.NONE
            assert notice_effect(payment, status) == expected, (payment, status)


def test_a_pending_notice_only_records_the_status():
    effects = {notice_effect(PaymentStatus.PENDING, status) for status in OrderStatus}
    assert effects == {NoticeEffect.NONE}


def test_a_full_refund_stops_only_an_order_whose_goods_have_not_left():
    for status in OrderStatus:
        gone = status in {
            OrderStatus.PARTIALLY_DESPATCHED,
            OrderStatus.DESPATCHED,
            OrderStatus.PARTIALLY_DELIVERED,
            OrderStatus.DELIVERED,
            OrderStatus.CANCELLED,
            OrderStatus.FULFILLED_BY_CHANNEL,
        }
        expected = NoticeEffect.NONE if gone else NoticeEffect.REFUNDED
        assert notice_effect(PaymentStatus.REFUNDED, status) == expected, status
