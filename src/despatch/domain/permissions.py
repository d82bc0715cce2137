"""Who may do what: the one table from roles to permissions, and scopes.

A **permission** is a dotted name (``orders.read``) that an operation declares at the edge
(API operation, web view, CLI command). A **role** is a set of permissions; a user holds roles
through groups of the same name, and a superuser holds every permission. A **scope** limits a
user or an API token to some warehouses (``warehouse:LON``) and some channels
(``channel:shop``); an empty set of a kind means "every one". The edges check permissions
before anything is looked up; the services filter their queries by scope.

docs/security.md prints this table (a unit test keeps the two the same).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from despatch.domain.errors import Forbidden, ValidationFailed

# Every permission, with what it allows, in the order the documentation lists them.
PERMISSIONS: dict[str, str] = {
    "orders.read": "list and show orders, their timeline and payments",
    "orders.capture": "send new orders (API, imports)",
    "orders.write": "hold, release and cancel orders",
    "customers.read": "see customers' names, addresses, emails and phones on orders",
    "payments.record": "record a payment by hand",
    "exceptions.read": "see the exception queues",
    "exceptions.work": "assign and resolve exceptions",
    "returns.read": "list and show returns",
    "returns.request": "open a return for a customer",
    "returns.receive": "receive and grade returned units at the desk",
    "refunds.read": "list and show refunds",
    "refunds.request": "ask for a refund",
    "refunds.approve": "approve, reject or retry refunds, up to the user's refund limit",
    "stock.read": "stock levels, movements and the ledger check",
    "stock.write": "receive, adjust and repair stock",
    "catalogue.read": "SKUs and warehouses",
    "catalogue.write": "create and change SKUs",
    "warehouses.manage": "create and change warehouses, calendars, layouts and bins",
    "shipments.read": "list and show shipments and their tracking",
    "picking.release": "release waves of pick lists",
    "picking.work": "pick lists, picks, short picks and put-away",
    "packing.work": "cartons, packing and packing slips",
    "shipping.work": "labels, despatch, delivery, manifests and intercepts",
    "channels.read": "channels, their inbox and listings",
    "channels.manage": "create and change channels (and their secrets), push stock",
    "rules.read": "rule sets",
    "rules.manage": "load, test and activate rule sets",
    "messages.read": "the customer and staff message log",
    "messages.resend": "send a message again",
    "notifications.manage": "notification templates, per channel and language",
    "labels.print": "buy and print labels and packing slips",
    "webhooks.manage": "outbound webhook subscriptions, deliveries and replays",
    "outbox.manage": "the event queue: status, dead events, retries",
    "audit.read": "verify the audit chain and print its head",
    "users.manage": "users, roles, scopes and API tokens",
    "reports.read": "the dashboard and the KPIs, with the orders behind each figure",
}

ALL = frozenset(PERMISSIONS)

# The role table. ops_manager holds everything; the others hold what their job needs.
ROLES: dict[str, frozenset[str]] = {
    "ops_manager": ALL,
    "order_ops": frozenset(
        {
            "reports.read",
            "orders.read",
            "orders.capture",
            "orders.write",
            "customers.read",
            "exceptions.read",
            "exceptions.work",
            "returns.read",
            "returns.request",
            "refunds.read",
            "refunds.request",
            "stock.read",
            "catalogue.read",
            "shipments.read",
            "picking.release",
            "channels.read",
            "rules.read",
            "messages.read",
            "messages.resend",
        }
    ),
    "finance": frozenset(
        {
            "reports.read",
            "orders.read",
            "customers.read",
            "payments.record",
            "returns.read",
            "refunds.read",
            "refunds.approve",
        }
    ),
    "picker": frozenset(
        {"orders.read", "shipments.read", "picking.work", "stock.read", "catalogue.read"}
    ),
    "packer": frozenset(
        {
            "orders.read",
            "shipments.read",
            "packing.work",
            "labels.print",
            "returns.read",
            "returns.receive",
            "stock.read",
            "catalogue.read",
        }
    ),
    "shipping": frozenset(
        {
            "orders.read",
            "customers.read",
            "shipments.read",
            "shipping.work",
            "labels.print",
            "exceptions.read",
            "catalogue.read",
        }
    ),
    "support": frozenset(
        {
            "orders.read",
            "customers.read",
            "exceptions.read",
            "exceptions.work",
            "shipments.read",
            "returns.read",
            "returns.request",
            "refunds.read",
            "refunds.request",
            "messages.read",
            "messages.resend",
        }
    ),
    "integrator": frozenset(
        {"orders.capture", "orders.read", "customers.read", "stock.read", "catalogue.read"}
    ),
}

ROLE_NAMES = tuple(ROLES)

# Permissions over what every channel and warehouse shares, held only by callers with no
# scope: an outbound webhook subscription receives every channel's events, and its
# deliveries hold their payloads, so a limited caller would read other channels' orders.
# The same holds for settings every warehouse and channel shares: rule sets, the catalogue
# and notification templates.
UNSCOPED_ONLY: dict[str, str] = {
    "webhooks.manage": "outbound webhooks carry every channel's events",
    "rules.manage": "rule sets apply to every channel's orders",
    "catalogue.write": "SKUs are shared by every warehouse and channel",
    "notifications.manage": "notification templates are shared by every channel",
}
# Settings shared by every warehouse, changed under a permission that is otherwise scoped
# (``warehouses.manage``): only a caller with no scope changes them.
SHARED_SETTINGS: dict[str, str] = {
    "rates": "the rate card is shared by every warehouse",
    "cartons": "the carton list is shared by every warehouse",
}
SCOPE_KINDS = ("warehouse", "channel")


def permissions_of(roles: Iterable[str], *, superuser: bool = False) -> frozenset[str]:
    """The permissions that ``roles`` grant together (unknown role names grant nothing)."""
    if superuser:
        return ALL
    granted: set[str] = set()
    for role in roles:
        granted |= ROLES.get(role, frozenset())
    return frozenset(granted)


def check_permission(permission: str) -> str:
    """``permission`` if it is in the table; an edge declaring anything else is a bug."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return permission


@dataclass(frozen=True)
class Scope:
    """Warehouses and channels a user or token is limited to; None means every one."""

    warehouses: frozenset[str] | None = None
    channels: frozenset[str] | None = None

    @classmethod
    def parse(cls, items: Iterable[str]) -> Scope:
        """``["warehouse:LON", "channel:shop"]`` -> a scope; a bad item is named."""
        found: dict[str, set[str]] = {kind: set() for kind in SCOPE_KINDS}
        for item in items:
            kind, _, code = item.partition(":")
            if kind not in found or not code.strip():
                raise ValidationFailed.single(
                    "scope", f"{item!r} is not warehouse:CODE or channel:CODE", "bad_scope"
                )
            found[kind].add(code.strip())
        return cls(frozenset(found["warehouse"]) or None, frozenset(found["channel"]) or None)

    def items(self) -> list[str]:
        return [f"warehouse:{w}" for w in sorted(self.warehouses or ())] + [
            f"channel:{c}" for c in sorted(self.channels or ())
        ]

    def named(self, other: Scope) -> Scope:
        """The codes ``other`` names, kind by kind; this scope's for a kind it names none of."""
        return Scope(
            self.warehouses if other.warehouses is None else other.warehouses,
            self.channels if other.channels is None else other.channels,
        )

    def narrowed(self, other: Scope) -> Scope:
        """Both limits at once (a token never reaches further than its user)."""
        return Scope(_meet(self.warehouses, other.warehouses), _meet(self.channels, other.channels))


def _meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b  # disjoint limits leave nothing


@dataclass(frozen=True)
class Access:
    """What one caller may do, and where."""

    actor: str
    permissions: frozenset[str]
    scope: Scope = field(default_factory=Scope)
    refund_limit: Decimal | None = None  # the most this caller may approve; None: no limit

    def limited(self) -> bool:
        return self.scope.warehouses is not None or self.scope.channels is not None

    def can(self, permission: str) -> bool:
        if permission in UNSCOPED_ONLY and self.limited():
            return False
        return permission in self.permissions

    def refusal(self, permission: str, shared: str = "") -> str:
        """Why this caller, holding ``permission``, still may not use it on what every
        warehouse and channel shares ('' if they may)."""
        why = SHARED_SETTINGS[shared] if shared else UNSCOPED_ONLY.get(permission, "")
        if not why or not self.limited() or permission not in self.permissions:
            return ""
        return f"{why}: a caller limited to some channels or warehouses cannot manage them"

    def require(self, permission: str, shared: str = "") -> None:
        """Forbidden unless the caller holds ``permission``; with ``shared`` (a key of
        SHARED_SETTINGS), or for an UNSCOPED_ONLY permission, unless they have no scope."""
        why = self.refusal(permission, shared)
        if why:
            raise Forbidden(permission, self.actor, why)
        if permission not in self.permissions:
            raise Forbidden(permission, self.actor)

    def channels(self) -> frozenset[str] | None:
        """The channels this caller is limited to, or None for every channel."""
        return self.scope.channels

    def warehouses(self) -> frozenset[str] | None:
        return self.scope.warehouses

    def may_channel(self, code: str) -> bool:
        return self.scope.channels is None or code in self.scope.channels

    def may_warehouse(self, code: str) -> bool:
        return self.scope.warehouses is None or code in self.scope.warehouses

    def beyond(self, other: Access) -> str:
        """What ``other`` may do that this caller may not, in words ('' if nothing): a caller
        grants, or changes, only what lies within their own reach."""
        if not other.permissions:
            return ""  # no permission: no scope or limit reaches anything
        extra = sorted(other.permissions - self.permissions)
        if extra:
            return f"it holds permissions you do not: {', '.join(extra)}"
        mine_theirs = (
            ("warehouse", self.scope.warehouses, other.scope.warehouses),
            ("channel", self.scope.channels, other.scope.channels),
        )
        for kind, mine, theirs in mine_theirs:
            if mine is not None and theirs is None:
                return (
                    f"it reaches every {kind}; you reach only {', '.join(sorted(mine)) or 'none'}"
                )
            outside = sorted((theirs or set()) - (mine or set())) if mine is not None else []
            if outside:
                return f"it reaches {kind} {', '.join(outside)}, outside your scope"
        limit, theirs_limit = self.refund_limit, other.refund_limit
        if limit is None or "refunds.approve" not in other.permissions:
            return ""
        if theirs_limit is None or theirs_limit > limit:
            return f"it may approve refunds above your own limit of {limit:.2f}"
        return ""

    def require_channel(self, code: str, permission: str) -> None:
        if not self.may_channel(code):
            raise Forbidden(permission, self.actor, f"channel {code!r} is outside this scope")

    def require_warehouse(self, code: str, permission: str) -> None:
        if not self.may_warehouse(code):
            raise Forbidden(permission, self.actor, f"warehouse {code!r} is outside this scope")


_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400}


def parse_lifetime(text: str) -> timedelta:
    """``90d``, ``12h`` or ``2w``: how long a token lives (at most ten years)."""
    value = text.strip().lower()
    number, unit = value[:-1], value[-1:]
    if unit not in _UNITS or not number.isdigit() or int(number) == 0:
        raise ValidationFailed.single(
            "expires", f"{text!r} is not a lifetime such as 90d, 12h or 2w", "bad_lifetime"
        )
    seconds = int(number) * _UNITS[unit]
    if seconds > 3650 * 86400:
        raise ValidationFailed.single("expires", "at most ten years (3650d)", "too_long")
    return timedelta(seconds=seconds)


def markdown_table() -> str:
    """The role table as Markdown, as docs/security.md prints it."""
    roles = list(ROLES)
    head = "| permission | what it allows | " + " | ".join(roles) + " |"
    rule = "|---|---|" + "---|" * len(roles)
    rows = [
        f"| `{name}` | {text} | "
        + " | ".join("✓" if name in ROLES[r] else "" for r in roles)
        + " |"
        for name, text in PERMISSIONS.items()
    ]
    return "\n".join([head, rule, *rows])


if __name__ == "__main__":  # python -m despatch.domain.permissions > table for docs/security.md
    print(markdown_table())
