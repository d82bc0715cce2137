"""Shared builders. The database is whatever DESPATCH_DATABASE_URL names (SQLite by default);
`make test` runs the suite once on SQLite and once on PostgreSQL."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings

from despatch import config
from despatch.domain.addresses import Address
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft, OrderDraft

# Property tests check behaviour, never speed: on a busy machine Hypothesis's timing checks
# (a deadline per example, "generating inputs too slow") failed a test that was right.
settings.register_profile("despatch", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("despatch")

_counter = iter(range(1, 10**9))


def make_draft(lines=(("A", 1),), **overrides) -> OrderDraft:
    currency = overrides.pop("currency", "GBP")
    values = dict(
        channel="web",
        external_id=f"EXT-{next(_counter)}",
        currency=currency,
        lines=tuple(LineDraft(sku, qty, Money(Decimal("9.99"), currency)) for sku, qty in lines),
        shipping_address=Address("Jo Bloggs", "1 High St", "Leeds", "LS1 1AA", "GB"),
        customer_email="jo@example.com",
        customer_name="Jo Bloggs",
    )
    values.update(overrides)
    return OrderDraft(**values)


@pytest.fixture
def draft():
    return make_draft


class _ConfigMonkeyPatch(pytest.MonkeyPatch):
    """pytest's monkeypatch, and the configuration read again whenever a test changes a
    DESPATCH_* variable (and when it puts it back): the services read config.current(), which
    the process otherwise reads once at start-up."""

    def setenv(self, name: str, value: str, prepend: str | None = None) -> None:
        super().setenv(name, value, prepend)
        if name.startswith(config.PREFIX):
            config.reload()

    def delenv(self, name: str, raising: bool = True) -> None:
        super().delenv(name, raising)
        if name.startswith(config.PREFIX):
            config.reload()

    def undo(self) -> None:
        super().undo()
        config.reload()


@pytest.fixture
def monkeypatch():
    patch = _ConfigMonkeyPatch()
    yield patch
    patch.undo()
