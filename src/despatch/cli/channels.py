"""``despatch channels``: add, list, deliveries, pull, listings, availability, push."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from despatch import worker
from despatch.cli.access import cli_actor, declares
from despatch.cli.common import console, domain_errors, fail
from despatch.services import catalogue, channels, listings, service_maps, sku_maps

app = typer.Typer(help="Sales channels and what they sent.", no_args_is_help=True)


@app.command("add")
@declares("channels.manage")
def add(
    code: str,
    type: str = typer.Option(..., "--type", help=f"one of {', '.join(channels.TYPES)}"),
    name: str = typer.Option("", help="display name (default: the code)"),
    webhook_secret: str | None = typer.Option(None, help="secret the platform signs webhooks with"),
    api_url: str | None = typer.Option(None, help="the platform's API base URL"),
    token: str | None = typer.Option(None, help="API access token"),
    warehouses: str = typer.Option("", help="warehouse codes in priority order, e.g. LON,NJ"),
    setting: list[str] = typer.Option(
        [],
        help="KEY=VALUE, VALUE read as JSON if it can be, e.g. "
        "marketplace_ids='[\"A1F83G8C2ARO7P\"]' or availability='{\"buffer\": 2}'",
    ),
) -> None:
    """Create or update a channel."""
    settings = _settings(setting)
    with domain_errors():
        channels.configure_channel(
            code=code,
            name=name or code,
            type=type,
            webhook_secret=webhook_secret,
            api_url=api_url,
            token=token,
            warehouses=[w.strip() for w in warehouses.split(",") if w.strip()],
            settings=settings,
            actor=cli_actor(),
        )
    console.print(f"channel {code} ({type}) saved; webhooks go to /api/channels/{code}/webhooks")


def _settings(pairs: list[str]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--setting {pair!r}: expected KEY=VALUE", 2)
        try:
            settings[key.strip()] = json.loads(value)
        except ValueError:
            settings[key.strip()] = value
    return settings


@app.command("list")
@declares("channels.read")
def list_channels() -> None:
    table = Table("code", "name", "type", "warehouses", "webhook secret", "API URL")
    for c in catalogue.channels():
        table.add_row(
            c.code,
            c.name,
            c.type,
            ",".join(c.warehouses),
            "set" if c.webhook_secret else "-",
            c.api_url or "-",
        )
    console.print(table)


@app.command("deliveries")
@declares("channels.read")
def list_deliveries(
    code: str,
    status: str = typer.Option("", help="pending, processed, failed or duplicate"),
    limit: int = typer.Option(20, min=1, max=1000),
) -> None:
    """What the channel sent, newest first, with what became of it."""
    with domain_errors():
        rows = list(channels.deliveries(code, status)[:limit])
    table = Table("#", "received", "source", "topic", "status", "outcome", "order", "error")
    for d in rows:
        table.add_row(
            str(d.pk),
            f"{d.received_at:%Y-%m-%d %H:%M:%S}",
            d.source,
            d.topic,
            d.status,
            f"{d.outcome} of #{d.repeats_id}" if d.repeats_id else d.outcome,
            d.order_id,
            d.error[:60],
        )
    console.print(table)


@app.command("pull")
@declares("orders.capture")
def pull(
    code: str,
    since: str = typer.Option(
        "", help="ISO time, e.g. 2026-11-20T00:00:00Z (default: the last pull)"
    ),
    process: bool = typer.Option(True, help="apply what was fetched now, as the worker would"),
) -> None:
    """Fetch the channel's new and changed orders from its API into the inbox."""
    try:
        start = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
    except ValueError:
        fail(f"--since: {since!r} is not an ISO 8601 time", 2)
    with domain_errors():
        report = channels.pull(code, start)
    if report.skipped:
        fail(f"{code}: not pulled: {report.skipped}", 1)
    console.print(
        f"{code}: {report.fetched} fetched, {report.new} new, {report.already_had} already had"
    )
    if process and report.new:
        worker.drain()
        console.print(f"applied; see: despatch channels deliveries {code}")


@app.command("listings")
@declares("channels.manage")
def set_listings(
    code: str,
    file: Path | None = typer.Option(
        None, "--file", exists=True, dir_okay=False, help="CSV with columns sku,listing_id"
    ),
) -> None:
    """Show the channel's listings (what was last published), or add them from a CSV."""
    if file is not None:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or "sku" not in reader.fieldnames:
                fail(f"{file}: the header must name a 'sku' column (and 'listing_id')", 2)
            rows = [
                ((r.get("sku") or "").strip(), (r.get("listing_id") or "").strip()) for r in reader
            ]
        with domain_errors():
            count = listings.set_listings(code, rows)
        console.print(f"{count} listings saved for {code}; their stock is pushed next")
        return
    table = Table("sku", "listing ID", "published", "at", "waiting", "error")
    with domain_errors():
        rows_shown = listings.listings(code)
    for li in rows_shown:
        table.add_row(
            li.sku_id,
            li.listing_id or "-",
            "-" if li.published is None else str(li.published),
            f"{li.published_at:%Y-%m-%d %H:%M:%S}" if li.published_at else "-",
            "yes" if li.dirty else "",
            li.error[:60],
        )
    console.print(table)


@app.command("availability")
@declares("channels.read")
def availability(
    code: str,
    sku: list[str] = typer.Option([], help="only these SKUs (default: every listing)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """What the channel may sell of each SKU, and why (nothing is sent)."""
    with domain_errors():
        figures = listings.availability(code, sku or None)
    if as_json:
        print(
            json.dumps(
                [{"sku": a.sku, "quantity": a.quantity, "why": list(a.steps)} for a in figures],
                indent=2,
            )
        )
        return
    table = Table("sku", "publish", "why")
    for a in figures:
        table.add_row(a.sku, str(a.quantity), "; ".join(a.steps))
    console.print(table)


@app.command("push")
@declares("channels.manage")
def push(code: str) -> None:
    """Publish changed stock figures to the channel now (the worker does this every few
    seconds)."""
    with domain_errors():
        report = listings.push(code)
    if report.skipped:
        fail(f"{code}: nothing pushed: {report.skipped}", 1)
    console.print(f"{code}: {report.pushed} pushed, {report.unchanged} unchanged")
    for sku_code, error in report.failed.items():
        console.print(f"[red]{sku_code}: {error}[/red]")
    if report.failed:
        raise typer.Exit(1)


@app.command("map-sku")
@declares("channels.manage")
def map_sku(
    code: str = typer.Argument(..., help="the channel"),
    channel_sku: str = typer.Argument(..., help="the SKU as the channel sends it"),
    our_sku: str = typer.Argument(..., help="our SKU to ship for it"),
) -> None:
    """Remember that the channel's SKU is one of ours: its next orders are mapped (audited)."""
    with domain_errors():
        mapping = sku_maps.map_sku(code, channel_sku, our_sku, actor=cli_actor())
    console.print(f"{code}: {channel_sku} -> {our_sku} ({len(mapping)} mapping(s))")


@app.command("map-service")
@declares("channels.manage")
def map_service(
    code: str = typer.Argument(..., help="the channel"),
    text: str = typer.Argument(..., help="the shipping method as the channel sends it"),
    service: str = typer.Argument(..., help="economy, standard, express, next_day or same_day"),
    release: bool = typer.Option(
        True, "--release/--no-release", help="release the orders held for this text"
    ),
) -> None:
    """Remember which service a channel's shipping-method text means: its next orders are
    mapped, and the orders held unknown_service for it are released (audited)."""
    with domain_errors():
        mapping, released = service_maps.map_service(
            code, text, service, actor=cli_actor(), release=release
        )
    console.print(f"{code}: {text!r} -> {service} ({len(mapping)} mapping(s))")
    if released:
        console.print(f"released {len(released)} held order(s): {', '.join(released)}")
