"""The HTTP API: OpenAPI at /api/docs (served offline), token auth, problem bodies."""

from despatch.api import (
    audit,
    bulk,
    catalogue,
    channels,
    exceptions,
    kpis,
    orders,
    outage,
    payments,
    picking,
    problems,
    returns,
    rules,
    shipments,
    stock,
    tracking,
    webhooks,
)
from despatch.api.auth import DeclaredAPI, TokenAuth

api = DeclaredAPI(
    title="Despatch API",
    version="1",
    description="Orders, stock and shipments of the Despatch order management system. "
    "Authenticate with `Authorization: Bearer <token>` (create one with `despatch tokens create`). "
    "Errors are RFC 9457 problem bodies with a stable `code`. Each operation names the "
    "permission its token needs (`x-permission`; docs/security.md); without it the answer is "
    "403 `forbidden`.",
    auth=TokenAuth(),
    docs_url="/docs",
    urls_namespace="api",
)
problems.install(api)
outage.install(api)
api.add_router("/orders/bulk", bulk.router)  # before /orders/{order_id}
api.add_router("/orders", orders.router)
api.add_router("/audit", audit.router)
api.add_router("/stock", stock.router)
api.add_router("/shipments", shipments.router)
api.add_router("/manifests", shipments.manifest_router)
api.add_router("/channels", channels.router)
api.add_router("/exceptions", exceptions.router)
api.add_router("/rules", rules.router)
api.add_router("/webhooks", webhooks.router)
api.add_router("/returns", returns.router)
api.add_router("/refunds", returns.refund_router)
api.add_router("/messages", webhooks.messages_router)
api.add_router("/kpis", kpis.router)
api.add_router("/", picking.router)
api.add_router("/", tracking.router)
api.add_router("/", payments.router)
api.add_router("/", catalogue.router)
