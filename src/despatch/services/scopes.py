"""Scopes in queries: a caller limited to some channels or warehouses (domain/permissions.py)
sees only their rows. Lists are filtered; a single row outside the scope is ``NotFound``, the
same answer as a row that does not exist, so a caller cannot probe other channels' IDs."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from despatch.domain.errors import NotFound
from despatch.domain.permissions import Scope
from despatch.models import (
    ExceptionCase,
    Message,
    Order,
    PickList,
    PickTask,
    PutAwayTask,
    Refund,
    ReturnRequest,
    Shipment,
    StockLevel,
)

M = TypeVar("M", bound=Model)


def orders_in(rows: QuerySet[Order], scope: Scope) -> QuerySet[Order]:
    """Orders of the scope's channels; with a warehouse scope, orders that ship from one."""
    if scope.channels is not None:
        rows = rows.filter(channel__in=scope.channels)
    if scope.warehouses is not None:
        rows = rows.filter(
            id__in=Shipment.objects.filter(warehouse_id__in=scope.warehouses).values("order_id")
        )
    return rows


def shipments_in(rows: QuerySet[Shipment], scope: Scope) -> QuerySet[Shipment]:
    if scope.warehouses is not None:
        rows = rows.filter(warehouse_id__in=scope.warehouses)
    if scope.channels is not None:
        rows = rows.filter(order__channel__in=scope.channels)
    return rows


def channels_in(rows: QuerySet[M], scope: Scope) -> QuerySet[M]:
    """Channels (rows with a ``code``) of the scope."""
    if scope.channels is not None:
        return rows.filter(code__in=scope.channels)
    return rows


def by_order(rows: QuerySet[M], scope: Scope | None) -> QuerySet[M]:
    """Rows with an ``order_id`` (returns, refunds, exceptions, messages): those of orders in
    the scope; rows of no order are left out of a limited caller's lists."""
    if scope is None or (scope.channels is None and scope.warehouses is None):
        return rows
    return rows.filter(order_id__in=orders_in(Order.objects.all(), scope).values("id"))


def by_warehouse(rows: QuerySet[M], scope: Scope) -> QuerySet[M]:
    """Rows with a ``warehouse`` (pick lists, put-away tasks, stock levels)."""
    if scope.warehouses is not None:
        return rows.filter(warehouse_id__in=scope.warehouses)
    return rows


def _orders_of(model: type[Model], key: str, value: str) -> QuerySet[Order]:
    return Order.objects.filter(
        id__in=model.objects.filter(**{key: value}).values("order_id")  # type: ignore[attr-defined]
    )


def _in_scope(param: str, route: str, value: str, scope: Scope) -> bool:
    """Whether the row a path parameter names is inside ``scope`` (False if it is not there)."""
    if param == "order_id":
        return orders_in(Order.objects.filter(id=value), scope).exists()
    if param == "shipment_id":
        return shipments_in(Shipment.objects.filter(id=value), scope).exists()
    if param == "pick_list_id":
        return by_warehouse(PickList.objects.filter(id=value), scope).exists()
    if param == "task_id" and "pick-tasks" in route:
        if not value.isdigit():
            return False
        rows = PickTask.objects.filter(pk=int(value))
        if scope.warehouses is not None:
            rows = rows.filter(pick_list__warehouse_id__in=scope.warehouses)
        if scope.channels is not None:
            rows = rows.filter(shipment__order__channel__in=scope.channels)
        return rows.exists()
    if param == "task_id":
        return by_warehouse(PutAwayTask.objects.filter(id=value), scope).exists()
    if param == "rma_id":
        return orders_in(_orders_of(ReturnRequest, "id", value), scope).exists()
    if param == "refund_id":
        return orders_in(_orders_of(Refund, "id", value), scope).exists()
    if param == "exception_id":
        return orders_in(_orders_of(ExceptionCase, "id", value), scope).exists()
    if param == "message_id":
        return orders_in(_orders_of(Message, "id", value), scope).exists()
    return True  # names no order-bound row (a warehouse code, a channel code...)


def check_path(route: str, params: dict[str, object], scope: Scope) -> None:
    """Every row named in the path must be inside the caller's scope: NotFound if not."""
    if scope.warehouses is None and scope.channels is None:
        return
    for param, value in params.items():
        text = str(value)
        if param == "code" and route.startswith("warehouses/"):
            if scope.warehouses is not None and text not in scope.warehouses:
                raise NotFound("warehouse", text)
        elif param == "code" and route.startswith("channels/"):
            if scope.channels is not None and text not in scope.channels:
                raise NotFound("channel", text)
        elif not _in_scope(param, route, text, scope):
            raise NotFound(param.removesuffix("_id").replace("_", " "), text)


def check(param: str, value: str, scope: Scope, route: str = "") -> None:
    """One row, named as a path parameter would name it (``order_id``, ``shipment_id``...)."""
    check_path(route, {param: value}, scope)


def levels_in(rows: QuerySet[StockLevel], scope: Scope) -> QuerySet[StockLevel]:
    return by_warehouse(rows, scope)
