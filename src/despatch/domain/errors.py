"""One error hierarchy for the whole of Despatch.

    DomainError
    ├── NotFound                      the thing named does not exist
    │   └── NotYetThere               it exists, but did not at the moment asked about
    ├── Conflict                      the request clashes with the current state
    │   ├── InvalidTransition         a status change the transition table forbids
    │   ├── InsufficientStock         not enough available stock for a change
    │   └── DuplicateOrder            an external ID reused with a different payload
    ├── Invalid                       the input itself is wrong
    │   └── ValidationFailed          one or more fields are wrong (carries field errors)
    ├── Unauthorized                  a signature or credential does not check out
    ├── Forbidden                     the caller lacks the permission or scope (names it)
    └── Unavailable                   a platform we depend on failed or refused, after retries

Each class has a stable ``code`` that the API puts in its problem body and the CLI prints.
Edges map the tree to their own vocabulary in one table (HTTP status, exit code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One wrong field: where it is (``lines[2].sku``), what is wrong, and a stable code."""

    field: str
    message: str
    code: str = "invalid"
    hint: str = ""  # a suggested fix, where one is known

    def as_dict(self) -> dict[str, str]:
        shown = {"field": self.field, "message": self.message, "code": self.code}
        if self.hint:
            shown["hint"] = self.hint
        return shown


class DomainError(Exception):
    code = "domain_error"
    title = "Request could not be processed"

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.data = data


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} does not exist", kind=kind, key=key)


class NotYetThere(NotFound):
    def __init__(self, kind: str, key: str, at: str, since: str) -> None:
        DomainError.__init__(
            self,
            f"{kind} {key!r} did not exist yet at {at}: it was received at {since}",
            kind=kind,
            key=key,
            at=at,
            since=since,
        )


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict with the current state"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "Status change not allowed"

    def __init__(self, kind: str, current: str, target: str) -> None:
        super().__init__(
            f"{kind} cannot go from {current!r} to {target!r}",
            kind=kind,
            current=current,
            target=target,
        )


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Not enough stock"

    def __init__(self, sku: str, warehouse: str, requested: int, available: int) -> None:
        super().__init__(
            f"{sku} at {warehouse}: requested {requested}, available {available}",
            sku=sku,
            warehouse=warehouse,
            requested=requested,
            available=available,
        )


class DuplicateOrder(Conflict):
    code = "duplicate_order"
    title = "Order already received with different content"

    def __init__(self, channel: str, external_id: str, order_id: str) -> None:
        super().__init__(
            f"order {external_id!r} on channel {channel!r} was already received as {order_id} "
            "with different content",
            channel=channel,
            external_id=external_id,
            order_id=order_id,
        )


class Invalid(DomainError):
    code = "invalid"
    title = "Invalid input"


class ValidationFailed(Invalid):
    code = "validation_failed"
    title = "Validation failed"

    def __init__(self, errors: list[FieldError]) -> None:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or "invalid input"
        super().__init__(detail)
        self.errors = errors

    @classmethod
    def single(cls, field_name: str, message: str, code: str = "invalid") -> ValidationFailed:
        return cls([FieldError(field_name, message, code)])


class Unauthorized(DomainError):
    code = "unauthorized"
    title = "Not authenticated"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Not allowed"

    def __init__(self, permission: str, actor: str = "", why: str = "") -> None:
        detail = why or f"this needs the permission {permission!r}"
        if why:
            detail = f"{why} (permission {permission!r})"
        super().__init__(detail, permission=permission)


class Unavailable(DomainError):
    code = "upstream_unavailable"
    title = "A platform did not answer"
