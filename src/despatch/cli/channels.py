"""``despatch channels``: add, list, deliveries."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from despatch import worker
from despatch.cli.common import console, domain_errors, fail
from despatch.services import catalogue, channels

app = typer.Typer(help="Sales channels and what they sent.", no_args_is_help=True)


@app.command("add")
def add(
    code: str,
    type: str = typer.Option(..., "--type", help=f"one of {', '.join(channels.TYPES)}"),
    name: str = typer.Option("", help="display name (default: the code)"),
    webhook_secret: str | None = typer.Option(None, help="secret the platform signs webhooks with"),
    api_url: str | None = typer.Option(None, help="the platform's API base URL"),
    token: str | None = typer.Option(None, help="API access token"),
    warehouses: str = typer.Option("", help="warehouse codes in priority order, e.g. LON,NJ"),
) -> None:
    """Create or update a channel."""
    with domain_errors():
        channels.configure_channel(
            code=code,
            name=name or code,
            type=type,
            webhook_secret=webhook_secret,
            api_url=api_url,
            token=token,
            warehouses=[w.strip() for w in warehouses.split(",") if w.strip()],
        )
    console.print(f"channel {code} ({type}) saved; webhooks go to /api/channels/{code}/webhooks")


@app.command("list")
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
def list_deliveries(
    code: str, status: str = typer.Option("", help="pending, processed or failed"), limit: int = 20
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
            d.outcome,
            d.order_id,
            d.error[:60],
        )
    console.print(table)


@app.command("pull")
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
    console.print(
        f"{code}: {report.fetched} fetched, {report.new} new, {report.already_had} already had"
    )
    if process and report.new:
        worker.drain()
        console.print(f"applied; see: despatch channels deliveries {code}")
