"""The re-offer order: who gets freed stock first, and who gives it back first on a short count."""

from datetime import UTC, date, datetime, timedelta

from despatch.domain.reoffer import (
    DEFAULT_REOFFER_ORDER,
    REOFFER_CHOICES,
    WaitingOrder,
    give_back_order,
    reoffer_order,
)

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def waiting(
    order_id: str,
    *,
    priority: int = 0,
    promise: date | None = None,
    age_hours: int = 0,
    channel: str = "web",
) -> WaitingOrder:
    """An order created ``age_hours`` before Monday 09:00."""
    return WaitingOrder(order_id, priority, promise, MONDAY - timedelta(hours=age_hours), channel)


def test_the_default_keys_are_priority_then_promise_then_age():
    assert DEFAULT_REOFFER_ORDER == ("priority", "promise", "age")
    assert set(DEFAULT_REOFFER_ORDER) < set(REOFFER_CHOICES)


def test_a_higher_priority_goes_first_whatever_its_age_or_promise():
    orders = [
        waiting("o_old", priority=0, age_hours=48, promise=date(2026, 3, 3)),
        waiting("o_urgent", priority=5),
        waiting("o_less", priority=1, age_hours=1),
    ]
    assert reoffer_order(orders) == ["o_urgent", "o_less", "o_old"]


def test_among_equal_priorities_the_earliest_promise_goes_first_and_no_promise_last():
    orders = [
        waiting("o_none", age_hours=10),
        waiting("o_thu", promise=date(2026, 3, 5)),
        waiting("o_tue", promise=date(2026, 3, 3)),
    ]
    assert reoffer_order(orders) == ["o_tue", "o_thu", "o_none"]


def test_the_same_promise_falls_back_to_the_oldest_first():
    tue = date(2026, 3, 3)
    orders = [waiting("o_new", promise=tue), waiting("o_old", promise=tue, age_hours=3)]
    assert reoffer_order(orders) == ["o_old", "o_new"]


def test_orders_created_at_the_same_moment_are_ranked_by_id():
    orders = [waiting("o_b"), waiting("o_c"), waiting("o_a")]
    assert reoffer_order(orders) == ["o_a", "o_b", "o_c"]
    assert reoffer_order(list(reversed(orders))) == ["o_a", "o_b", "o_c"]


def test_age_alone_ignores_priority_and_promise():
    orders = [
        waiting("o_urgent", priority=9, promise=date(2026, 3, 3)),
        waiting("o_old", age_hours=5),
    ]
    assert reoffer_order(orders, ("age",)) == ["o_old", "o_urgent"]


def test_the_keys_apply_in_the_order_given():
    orders = [
        waiting("o_urgent_late", priority=9, promise=date(2026, 3, 9)),
        waiting("o_calm_soon", priority=0, promise=date(2026, 3, 3)),
    ]
    assert reoffer_order(orders, ("priority", "promise")) == ["o_urgent_late", "o_calm_soon"]
    assert reoffer_order(orders, ("promise", "priority")) == ["o_calm_soon", "o_urgent_late"]


def test_the_channel_key_puts_the_channel_with_the_higher_priority_first():
    orders = [
        waiting("o_web", channel="web", age_hours=9),
        waiting("o_shop", channel="shop"),
        waiting("o_market", channel="market", age_hours=4),
    ]
    ranks = {"web": 1, "shop": 3, "market": -1}
    assert reoffer_order(orders, ("channel", "age"), ranks) == ["o_shop", "o_web", "o_market"]


def test_an_unknown_channel_ranks_as_priority_zero():
    orders = [
        waiting("o_known_low", channel="market", age_hours=2),
        waiting("o_unknown", channel="gone", age_hours=1),
        waiting("o_known_high", channel="shop"),
    ]
    ranks = {"shop": 1, "market": -1}
    assert reoffer_order(orders, ("channel",), ranks) == [
        "o_known_high",
        "o_unknown",
        "o_known_low",
    ]
    # without any channel settings every channel ties, and age decides
    assert reoffer_order(orders, ("channel",)) == ["o_known_low", "o_unknown", "o_known_high"]


def test_nothing_waiting_gives_nothing():
    assert reoffer_order([]) == []
    assert give_back_order([]) == []


def test_a_short_count_takes_from_the_least_urgent_first():
    orders = [
        waiting("o_urgent", priority=5),
        waiting("o_middle", priority=1, age_hours=3),
        waiting("o_calm_old", age_hours=9),
        waiting("o_calm_new", age_hours=1),
    ]
    first = reoffer_order(orders)
    assert first == ["o_urgent", "o_middle", "o_calm_old", "o_calm_new"]
    assert give_back_order(orders) == list(reversed(first))


def test_giving_back_follows_the_configured_keys_too():
    orders = [
        waiting("o_shop", channel="shop", age_hours=1),
        waiting("o_web", channel="web", age_hours=5),
    ]
    ranks = {"shop": 2}
    assert give_back_order(orders, ("channel", "age"), ranks) == ["o_web", "o_shop"]
    assert give_back_order(orders, ("age",), ranks) == ["o_shop", "o_web"]
