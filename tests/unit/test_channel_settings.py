"""Channel.settings, typed: one reader, one serialiser, and the payment release rule."""

import pytest

from despatch.domain.channel_settings import ChannelSettings, payment_releases
from despatch.domain.orders import PaymentStatus

STORED = {
    "priority": 5,
    "return_window_days": 14,
    "unpaid_hold_minutes": 60,
    "cash_on_delivery": True,
    "release_authorised": False,
    "phone_required": True,
    "trusted_payment_status": True,
    "tracking_url": "https://track.example/{tracking_number}",
    "availability": {"buffer": 2},
    "sourcing": {"strategy": "nearest"},
    "last_pull": "2026-05-01T10:00:00+00:00",
    "location_id": 7,
}


def test_every_setting_is_read_by_name_and_written_back_unchanged():
    settings = ChannelSettings.read(STORED)
    assert settings.priority == 5 and settings.return_window_days == 14
    assert settings.unpaid_hold_minutes == 60 and settings.cash_on_delivery
    assert not settings.release_authorised and settings.phone_required
    assert settings.trusted_payment_status and settings.sourcing == {"strategy": "nearest"}
    assert settings.get("location_id") == 7
    assert settings.to_json() == STORED


def test_missing_or_old_values_fall_back_to_the_defaults():
    settings = ChannelSettings.read({"priority": "high", "trusted_payment_status": "yes"})
    assert settings.priority == 0 and not settings.trusted_payment_status
    assert settings.release_authorised and settings.return_window_days is None
    assert ChannelSettings.read(None) == ChannelSettings.read({})


def test_a_change_reaches_the_json():
    assert ChannelSettings.read({}).but(priority=3).to_json() == {"priority": 3}


@pytest.mark.parametrize(
    ("payment", "settings", "goes"),
    [
        (PaymentStatus.PAID, {}, True),
        (PaymentStatus.PARTIALLY_REFUNDED, {}, True),
        (PaymentStatus.AUTHORISED, {}, True),
        (PaymentStatus.AUTHORISED, {"release_authorised": False}, False),
        (PaymentStatus.PENDING, {}, False),
        (PaymentStatus.PENDING, {"cash_on_delivery": True}, True),
    ],
)
def test_which_payments_release_an_order(payment, settings, goes):
    assert payment_releases(payment, ChannelSettings.read(settings)) is goes
