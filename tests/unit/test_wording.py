"""Words, not internals: statuses, holds, field paths, ages and lateness as people say them."""

from datetime import date, timedelta

from despatch.domain.exceptions import Kind
from despatch.domain.inventory import ReservationStatus
from despatch.domain.notifications import MessageStatus
from despatch.domain.orders import HoldReason, OrderStatus, PaymentStatus
from despatch.domain.reasons import ReasonCode
from despatch.domain.returns import ReturnReason, ReturnStatus
from despatch.domain.webhooks import DeliveryStatus
from despatch.domain.wording import (
    HOLD_WORDS,
    KIND_WORDS,
    OTHER_STATUS_WORDS,
    RETURN_REASON_WORDS,
    STATUS_WORDS,
    age_words,
    field_words,
    kind_words,
    lateness,
    paths_in_words,
    problem_words,
    reason_words,
    return_reason_words,
    status_words,
)


def test_every_status_and_hold_has_words():
    assert set(STATUS_WORDS) == set(OrderStatus) and set(HOLD_WORDS) == set(HoldReason)


def test_field_paths_are_said_as_people_count():
    assert field_words("lines[2].sku") == "line 3 SKU"
    assert field_words("lines.2.sku") == "line 3 SKU"
    assert paths_in_words("lines.0.quantity: must be above 0") == "line 1 quantity: must be above 0"
    assert field_words("shipping_address.postcode") == "address postcode"
    assert field_words("lines[0].unit_price") == "line 1 unit price"
    assert field_words("sku:MUG-1") == "SKU MUG-1"
    assert paths_in_words("lines[1].sku: unknown SKU 'Z'") == "line 2 SKU: unknown SKU 'Z'"
    assert field_words("shipping_address.line1") == "address first line"


def test_a_problem_that_only_says_what_is_wrong_names_its_field():
    assert problem_words("shipping_address.line1", "is required") == (
        "address first line is required"
    )
    assert problem_words("shipping_address.city", "is required") == "address city is required"
    assert problem_words("payment_status", "payment is pending") == "payment is pending"
    assert problem_words("order", "is over the rule's limit") == "is over the rule's limit"


def test_ages_at_a_glance():
    assert age_words(timedelta(minutes=12)) == "12 min"
    assert age_words(timedelta(hours=5, minutes=59)) == "5 h"
    assert age_words(timedelta(days=3, hours=1)) == "3 d"


def test_lateness_counts_days_for_open_orders_only():
    today = date(2026, 5, 6)
    assert lateness(date(2026, 5, 4), today, "allocated") == ("2 days late", True)
    assert lateness(date(2026, 5, 5), today, "picking") == ("1 day late", True)
    assert lateness(today, today, "allocated") == ("due today", False)
    assert lateness(date(2026, 5, 8), today, "reserved") == ("due in 2 days", False)
    assert lateness(date(2026, 5, 4), today, "despatched") == ("", False)
    assert lateness(None, today, "allocated") == ("", False)


def test_reason_codes_are_said_as_sentences():
    assert reason_words("customer_request") == "The customer asked for it"
    assert reason_words("address_problem") == "The address is wrong or undeliverable"
    assert all(reason_words(c) and "_" not in reason_words(c) for c in ReasonCode)
    assert reason_words("some_new_code") == "Some new code"  # no meaning yet: still words


def test_every_other_status_has_words_of_its_own():
    enums = {
        "payment": PaymentStatus,
        "stock": ReservationStatus,
        "message": MessageStatus,
        "webhook": DeliveryStatus,
        "return": ReturnStatus,
    }
    for of, enum in enums.items():
        assert set(OTHER_STATUS_WORDS[of]) == set(enum), of
    assert status_words("allocated") == "Ready to pick"  # an order's, by default
    assert status_words("allocated", "stock") == "Held for a parcel"
    assert status_words("by_hand", "platform") == "To be done on the platform by hand"
    assert status_words("partially_refunded", "payment") == "Partly refunded"


def test_every_exception_kind_and_return_reason_has_words():
    assert set(KIND_WORDS) == set(Kind) and set(RETURN_REASON_WORDS) == set(ReturnReason)
    assert all(HOLD_WORDS[h] == KIND_WORDS[h] for h in HoldReason)  # one mapping
    assert kind_words("unknown_sku") == "Unknown SKU"
    assert kind_words("refund_approval") == "Refund to approve"
    assert return_reason_words("wrong_item") == "Wrong item sent"
    assert all("_" not in kind_words(k) for k in Kind)
