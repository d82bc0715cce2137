"""The KPI maths: empty inputs, zero denominators, bucket edges, percentiles, active hours."""

from datetime import UTC, date, datetime, timedelta

from despatch.domain.kpi_maths import (
    bucket_of,
    daily,
    hourly,
    median,
    nearest_rank,
    per_hour,
    rate,
)
from despatch.domain.kpis import KEYS, Facts, OrderFact, Period, ShipmentFact, compute

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def test_a_rate_with_nothing_to_measure_is_none_not_zero():
    assert rate(0, 0) is None
    assert rate(0, 3) == 0.0
    assert rate(2, 3) == 0.6667


def test_median_and_nearest_rank_percentile():
    assert median([]) is None and nearest_rank([], 0.9) is None
    assert median([3.0]) == 3.0 and nearest_rank([3.0], 0.9) == 3.0
    assert median([1.0, 2.0, 6.0, 18.0]) == 4.0  # the mean of the middle two
    values = [float(n) for n in range(1, 11)]
    assert nearest_rank(values, 0.9) == 9.0  # ceil(0.9 * 10) = 9th
    assert nearest_rank([*values, 11.0], 0.9) == 10.0  # ceil(9.9) = 10th


def test_an_age_exactly_on_a_bucket_edge_goes_to_the_older_bucket():
    hours = timedelta(hours=1)
    assert bucket_of(timedelta(0)) == "under_4h"
    assert bucket_of(4 * hours - timedelta(seconds=1)) == "under_4h"
    assert bucket_of(4 * hours) == "4h_to_24h"
    assert bucket_of(24 * hours) == "1d_to_2d"
    assert bucket_of(48 * hours) == "over_2d"
    assert bucket_of(timedelta(days=400)) == "over_2d"


def test_a_rate_per_hour_counts_the_clock_hours_a_person_worked():
    work = [
        ("pia", T0 + timedelta(minutes=5), 3),
        ("pia", T0 + timedelta(minutes=55), 3),
        ("pia", T0 + timedelta(hours=5), 4),
        ("pat", T0, 1),
    ]
    assert per_hour(work) == {"pat": 1.0, "pia": 5.0}
    assert per_hour([]) == {}


def test_nothing_at_all_gives_every_key_with_zero_counts_and_null_rates():
    report = compute(Period(T0, T0 + timedelta(days=1), T0 + timedelta(days=1)), Facts())
    assert list(report.values) == list(KEYS)
    assert report.values["orders_received"] == 0
    assert report.values["perfect_order_rate"] is None
    assert report.values["pick_accuracy"] is None and report.values["stock_accuracy"] is None
    assert report.values["refund_value"] == [] and report.values["exceptions_by_reason"] == {}
    assert report.values["backlog_by_age"] == dict.fromkeys(
        ("under_4h", "4h_to_24h", "1d_to_2d", "over_2d"), 0
    )


def test_despatch_on_the_last_moment_of_the_ship_by_day_is_on_time():
    deadline = T0 + timedelta(days=1)
    on_time = ShipmentFact("s1", "W", deadline, despatched_at=deadline)
    late = ShipmentFact("s2", "W", deadline, despatched_at=deadline + timedelta(seconds=1))
    order = OrderFact("o", "c", "1", T0, despatched_at=deadline, shipments=(on_time,))
    assert order.despatched_on_time() is True
    split = OrderFact("o", "c", "1", T0, despatched_at=deadline, shipments=(on_time, late))
    assert split.despatched_on_time() is False
    unknown = OrderFact("o", "c", "1", T0, shipments=(ShipmentFact("s", "W", None, T0),))
    assert unknown.despatched_on_time() is None


def test_an_order_is_late_once_its_ship_by_has_passed_and_not_before():
    deadline = T0 + timedelta(days=1)
    order = OrderFact("o", "c", "1", T0, shipments=(ShipmentFact("s", "W", deadline),))
    assert not order.late_at(deadline - timedelta(seconds=1))
    assert order.late_at(deadline)
    waiting = OrderFact("o", "c", "1", T0, channel_ship_by=deadline)  # no parcel yet
    assert waiting.late_at(deadline)
    gone = OrderFact(
        "o",
        "c",
        "1",
        T0,
        despatched_at=T0 + timedelta(hours=1),
        shipments=(ShipmentFact("s", "W", deadline, T0 + timedelta(hours=1)),),
    )
    assert not gone.late_at(deadline) and not gone.open_at(deadline)


def test_the_daily_trend_and_hourly_throughput_use_the_local_day():
    zone = "America/New_York"  # UTC-4 in June
    received = [datetime(2026, 6, 2, 3, tzinfo=UTC), datetime(2026, 6, 2, 5, tzinfo=UTC)]
    out = [(datetime(2026, 6, 2, 5, tzinfo=UTC), True), (datetime(2026, 6, 2, 6, tzinfo=UTC), None)]
    days = daily(received, out, zone, date(2026, 6, 2), days=3)
    assert [(d.day.day, d.received, d.despatched, d.on_time_rate) for d in days] == [
        (31, 0, 0, None),
        (1, 1, 0, None),  # 23:00 on the 1st in New Jersey
        (2, 1, 2, 1.0),  # the unjudged one is left out of the rate
    ]
    by_hour = hourly(received, zone, date(2026, 6, 2))
    assert by_hour[1] == 1 and sum(by_hour) == 1
