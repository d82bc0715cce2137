"""A channel's connection test: one GET to the platform's order list (one order at most), with
the stored credential, under the channel's configured base URL and nowhere else.

The base URL is an ops manager's choice, but a test that shows what a URL answered is also a
way to look inside our own network, so the rules of outbound webhooks apply
(integrations/hooks.py): http(s) only, the host resolved once and the request pinned to the
address checked (with ``public_only``, a non-public address is refused), redirects never
followed (a 3xx is reported, not chased), and only the status is reported, never the body.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from despatch.domain.errors import Unavailable, ValidationFailed
from despatch.integrations import hooks
from despatch.integrations.channels import amazon, bigcommerce, shopify, woocommerce
from despatch.integrations.channels.base import Connection
from despatch.integrations.channels.http import bearer


@dataclass(frozen=True)
class Probe:
    ok: bool
    status: int  # the HTTP status, 0 when nothing answered
    said: str  # in plain words


def _target(kind: str, conn: Connection) -> tuple[str, dict[str, str]] | None:
    """(path and query, headers) of the cheapest authenticated read, or None for a channel
    we never call (API and CSV channels send us their orders)."""
    if kind == "shopify":
        path = f"/admin/api/{shopify.API_VERSION}/orders.json?status=any&limit=1"
        return path, shopify.auth(conn.token)
    if kind == "woocommerce":
        return "/wp-json/wc/v3/orders?per_page=1", woocommerce.auth(conn.token)
    if kind == "ebay":
        return "/sell/fulfillment/v1/order?limit=1", bearer(conn.token)
    if kind == "bigcommerce":
        return "/v2/orders?limit=1", bigcommerce.auth(conn.token)
    if kind == "amazon":
        ids = conn.settings.get("marketplace_ids") or []
        if not ids:
            raise ValidationFailed.single(
                "settings", "name the marketplace IDs (marketplace_ids) to test with", "required"
            )
        since = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = {"MarketplaceIds": ",".join(ids), "CreatedAfter": since, "MaxResultsPerPage": 1}
        return f"/orders/v0/orders?{urlencode(query)}", amazon.auth(conn.token)
    return None


WORDS = {
    401: "the platform refused the credentials (401): enter the token again",
    403: "the credentials were accepted but may not read orders (403): check the app's scopes",
    404: "nothing answers at this address (404): check the base URL",
    429: "the platform asks us to slow down (429): try again in a minute",
}


def check_connection(kind: str, conn: Connection, *, public_only: bool) -> Probe:
    """Call the platform once and say what happened; a refused base URL raises
    ``ValidationFailed`` naming ``api_url``."""
    target = _target(kind, conn)
    if target is None:
        return Probe(True, 0, f"nothing to test: {kind} channels send their orders to us")
    if not conn.api_url:
        raise ValidationFailed.single("api_url", "enter the platform's base URL first", "required")
    if not conn.token:
        raise ValidationFailed.single("token", "enter the API token first", "required")
    path, headers = target
    url = conn.url(path)
    base, parts = urlsplit(conn.api_url), urlsplit(url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        raise ValidationFailed.single("api_url", f"{url!r} leaves the base URL", "invalid_url")
    address = hooks.resolve(url, public_only=public_only, field="api_url")
    pinned = hooks.PinnedTls if parts.scheme == "https" else hooks.Pinned
    connection = pinned(parts.hostname or "", parts.port, address)
    sent = {"Accept": "application/json", "User-Agent": "Despatch OMS", **headers}
    try:
        connection.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), None, sent
        )
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        raise Unavailable(f"could not reach {base.netloc}: {exc}") from exc
    finally:
        connection.close()
    if 200 <= status < 300:
        return Probe(True, status, f"connected: {base.netloc} answered {status} to our credentials")
    if 300 <= status < 400:
        said = f"the platform redirects ({status}); redirects are not followed: use the final URL"
        return Probe(False, status, said)
    return Probe(False, status, WORDS.get(status, f"the platform answered {status}"))
