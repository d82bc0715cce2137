"""Shopify stock: the Admin GraphQL ``inventorySetQuantities`` mutation (the REST
``inventory_levels/set.json`` endpoint is legacy).

One mutation sets the ``available`` quantity of up to :data:`BATCH` inventory items at the
channel's ``location_id`` (reason ``correction``, ``ignoreCompareQuantity: true``: Despatch is
the source of truth and publishes absolute figures). A listing ID is the variant's
``inventory_item_id`` (a number or a ``gid://shopify/InventoryItem/N``). The answer's
``userErrors`` name the item at fault by its index (``field: ["input", "quantities", "1",
...]``); those SKUs are reported as failed and the rest are sent again without them, since a
mutation with errors may have applied nothing (setting an absolute figure twice is harmless).
"""

from __future__ import annotations

from typing import Any

from despatch.domain.errors import DomainError
from despatch.integrations.channels import http
from despatch.integrations.channels.base import Connection, StockUpdate

API_VERSION = "2025-01"
BATCH = 250  # quantities per mutation
MUTATION = (
    "mutation InventorySet($input: InventorySetQuantitiesInput!) { "
    "inventorySetQuantities(input: $input) { "
    "inventoryAdjustmentGroup { createdAt reason changes { name delta } } "
    "userErrors { field message code } } }"
)


def gid(kind: str, value: Any) -> str:
    """A Shopify global ID: ``gid://shopify/{kind}/{N}``; one given whole is kept."""
    text = str(value).strip()
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def mutation_body(location: Any, updates: list[StockUpdate]) -> dict[str, Any]:
    """The documented request: the mutation and its ``input`` variable."""
    return {
        "query": MUTATION,
        "variables": {
            "input": {
                "name": "available",
                "reason": "correction",
                "ignoreCompareQuantity": True,
                "quantities": [
                    {
                        "inventoryItemId": gid("InventoryItem", u.listing_id),
                        "locationId": gid("Location", location),
                        "quantity": u.quantity,
                    }
                    for u in updates
                ],
            }
        },
    }


def refused_items(answer: Any, updates: list[StockUpdate]) -> tuple[dict[str, str], str]:
    """(SKU -> message for each user error naming an item, an error naming none)."""
    data = (answer or {}).get("data") or {}
    top = (answer or {}).get("errors") or []
    if top and not data.get("inventorySetQuantities"):
        return {}, "; ".join(str(e.get("message", e)) for e in top)[:500] or "GraphQL error"
    failures: dict[str, str] = {}
    general = []
    for error in (data.get("inventorySetQuantities") or {}).get("userErrors") or []:
        path = [str(p) for p in error.get("field") or []]
        message = str(error.get("message") or error.get("code") or "refused")
        index = path[2] if len(path) > 2 and path[1] == "quantities" else ""
        if index.isdigit() and int(index) < len(updates):
            failures[updates[int(index)].sku] = message
        else:
            general.append(message)
    return failures, "; ".join(general)


def _send(conn: Connection, location: Any, updates: list[StockUpdate]) -> dict[str, str]:
    """One mutation; the SKUs that failed (all of them when the call itself failed)."""
    url = conn.url(f"/admin/api/{API_VERSION}/graphql.json")
    try:
        answer = http.call(
            "POST",
            url,
            {"X-Shopify-Access-Token": conn.token},
            mutation_body(location, updates),
        ).body
    except DomainError as exc:
        return {u.sku: str(exc) for u in updates}
    failures, general = refused_items(answer, updates)
    if general:
        return {u.sku: failures.get(u.sku, general) for u in updates}
    return failures


def push_stock(conn: Connection, updates: list[StockUpdate]) -> dict[str, str]:
    """Publish ``updates`` at the channel's ``location_id``. Returns failures by SKU."""
    location = conn.settings.get("location_id")
    failures: dict[str, str] = {}
    ready = []
    for update in updates:
        if not location or not update.listing_id:
            failures[update.sku] = "needs settings.location_id and the inventory_item_id"
        else:
            ready.append(update)
    for start in range(0, len(ready), BATCH):
        batch = ready[start : start + BATCH]
        refused = _send(conn, location, batch)
        rest = [u for u in batch if u.sku not in refused]
        if refused and rest:
            refused.update(_send(conn, location, rest))  # may have applied nothing: again
        failures.update(refused)
    return failures
