"""Channels: configuration, the signed webhook intake, and the delivery inbox."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from despatch.api import intake
from despatch.api.auth import access, actor, needs, public
from despatch.api.pages import Pages
from despatch.api.schemas import ObjectIn
from despatch.domain.audit import redact
from despatch.services import catalogue, channels, listings, scopes, service_maps, sku_maps

router = Router(tags=["channels"])


class ChannelIn(ObjectIn):
    name: str = Field(min_length=1, max_length=200)
    type: str = Field("api", max_length=32, description=f"one of {', '.join(channels.TYPES)}")
    warehouses: list[str] = Field(
        [], max_length=100, description="warehouse codes in priority order"
    )
    webhook_secret: str | None = Field(None, max_length=200, description="write-only")
    api_url: str | None = Field(None, max_length=500)
    token: str | None = Field(None, max_length=500, description="write-only")
    settings: dict[str, Any] | None = Field(
        None,
        description="platform settings (marketplace_ids, seller_id, location_id) and the "
        "availability rule {buffer, percent, max_listed, end_at}; keys given replace stored ones",
    )


class ChannelOut(Schema):
    code: str
    name: str
    type: str
    warehouses: list[str]
    api_url: str
    active: bool
    has_webhook_secret: bool
    has_token: bool
    settings: dict[str, Any]

    @staticmethod
    def resolve_has_webhook_secret(obj: Any) -> bool:
        return bool(obj.webhook_secret)

    @staticmethod
    def resolve_has_token(obj: Any) -> bool:
        return bool(obj.token)

    @staticmethod
    def resolve_settings(obj: Any) -> dict[str, Any]:
        """Secrets among the settings (``lwa_client_secret``) as fingerprints only."""
        shown: dict[str, Any] = redact(dict(obj.settings or {}))
        return shown


class DeliveryOut(Schema):
    id: int
    delivery_id: str
    event_id: str
    topic: str
    source: str
    status: str
    outcome: str
    order_id: str
    error: str
    received_at: datetime
    processed_at: datetime | None
    repeats: int | None = Field(
        None, alias="repeats_id", description="the delivery this one repeated (a duplicate)"
    )


class Accepted(Schema):
    delivery: int
    status: str


@router.get("", response=list[ChannelOut], auth=needs("channels.read"))
def list_channels(request: HttpRequest) -> Any:
    return scopes.channels_in(catalogue.channels(), access(request).scope)


@router.put(
    "/{code}",
    response=ChannelOut,
    summary="Create or update a channel",
    auth=needs("channels.manage"),
)
def put_channel(request: HttpRequest, code: str, body: ChannelIn) -> Any:
    return channels.configure_channel(code=code, **body.dict(), actor=actor(request))


@router.post(
    "/{code}/webhooks",
    auth=public("signed by the channel's webhook secret"),
    response={200: Accepted, 202: Accepted},
    summary="Receive a platform's webhook (signed, not token-authenticated)",
)
def webhook(request: HttpRequest, code: str) -> Any:
    """Checks the platform's signature, stores the raw delivery and answers at once (202);
    the worker applies it. A repeated delivery ID answers 200 and changes nothing; a bad
    signature answers 401 and is logged, not stored."""
    # The middleware api/intake.SignedIntake answers these requests before they get here.
    status, accepted = intake.accept(request, code)
    return Status(status, accepted)


@router.get(
    "/{code}/deliveries",
    response=list[DeliveryOut],
    summary="The channel's inbox",
    auth=needs("channels.read"),
)
@paginate(Pages)
def list_deliveries(request: HttpRequest, code: str, status: str = "") -> Any:
    channels.get_channel(code)
    return channels.deliveries(code, status)


class AvailabilityOut(Schema):
    sku: str
    quantity: int = Field(description="what would be published now")
    published: int | None = Field(description="what the channel was last sent")
    why: list[str]


class ListingIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    listing_id: str = Field("", max_length=128, description="the platform's ID, where needed")


class ListingOut(Schema):
    sku: str = Field(alias="sku_id")
    listing_id: str
    published: int | None
    published_at: datetime | None
    dirty: bool
    error: str


class PushOut(Schema):
    pushed: int
    unchanged: int
    failed: dict[str, str]
    skipped: str


@router.get(
    "/{code}/availability",
    response=list[AvailabilityOut],
    summary="What the channel may sell of each listed SKU, and why",
    auth=needs("channels.read"),
)
def get_availability(request: HttpRequest, code: str, sku: Query[list[str] | None] = None) -> Any:
    figures = listings.availability(code, sku or None)
    published = {li.sku_id: li.published for li in listings.listings(code)}
    return [
        {"sku": a.sku, "quantity": a.quantity, "published": published.get(a.sku), "why": a.steps}
        for a in figures
    ]


@router.get(
    "/{code}/listings",
    response=list[ListingOut],
    summary="The channel's listings",
    auth=needs("channels.read"),
)
@paginate(Pages)
def get_listings(request: HttpRequest, code: str) -> Any:
    channels.get_channel(code)
    return listings.listings(code)


@router.put(
    "/{code}/listings",
    response=dict[str, int],
    summary="Add or update listings",
    auth=needs("channels.manage"),
)
def put_listings(request: HttpRequest, code: str, body: list[ListingIn]) -> Any:
    return {"saved": listings.set_listings(code, [(li.sku, li.listing_id) for li in body])}


@router.post(
    "/{code}/stock-push",
    response=PushOut,
    summary="Publish changed stock figures now",
    auth=needs("channels.manage"),
)
def post_push(request: HttpRequest, code: str) -> Any:
    return listings.push(code, f"api:{request.auth.get_username()}")  # type: ignore[attr-defined]


class SkuMapIn(ObjectIn):
    map: dict[str, str] = Field(
        max_length=10_000, description="the channel's SKU -> our SKU; replaces the whole map"
    )


@router.get(
    "/{code}/sku-map",
    response=dict[str, dict[str, str]],
    summary="The channel's remembered SKU mappings (its SKU -> ours)",
    auth=needs("channels.read"),
)
def get_sku_map(request: HttpRequest, code: str) -> Any:
    return {"map": sku_maps.sku_map(code)}


@router.put(
    "/{code}/sku-map",
    response=dict[str, dict[str, str]],
    summary="Set the channel's SKU mappings (audited); the next orders are mapped",
    auth=needs("channels.manage"),
)
def put_sku_map(request: HttpRequest, code: str, body: SkuMapIn) -> Any:
    return {"map": sku_maps.replace_map(code, body.map, actor=actor(request))}


class ServiceMapIn(ObjectIn):
    map: dict[str, str] = Field(
        max_length=10_000,
        description="the channel's shipping-method text -> economy, standard, express, "
        "next_day or same_day; replaces the whole map (an empty map accepts every text as is)",
    )
    release: bool = Field(False, description="release the orders held for the texts mapped")


class ServiceMapOut(Schema):
    map: dict[str, str]
    released: list[str] = Field([], description="orders released to be mapped")


@router.get(
    "/{code}/service-map",
    response=ServiceMapOut,
    summary="The channel's service map (its shipping-method text -> our service)",
    auth=needs("channels.read"),
)
def get_service_map(request: HttpRequest, code: str) -> Any:
    return {"map": service_maps.service_map(code)}


@router.put(
    "/{code}/service-map",
    response=ServiceMapOut,
    summary="Set the channel's service map (audited); the next orders are mapped",
    auth=needs("channels.manage"),
)
def put_service_map(request: HttpRequest, code: str, body: ServiceMapIn) -> Any:
    saved, released = service_maps.replace_map(
        code, body.map, actor=actor(request), release=body.release
    )
    return {"map": saved, "released": released}
