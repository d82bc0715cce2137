"""``despatch webhooks``: subscriptions, the delivery log, and replays."""

from __future__ import annotations

import getpass
from datetime import datetime

import typer
from django.utils import timezone
from rich.table import Table

from despatch.cli.access import declares
from despatch.cli.common import console, domain_errors, fail
from despatch.domain.webhooks import EVENT_TYPES
from despatch.services import webhooks

app = typer.Typer(
    help="Outbound webhooks: who hears which events, what was sent, replays.",
    no_args_is_help=True,
)


def _actor(by: str) -> str:
    return f"user:{by or getpass.getuser()}"


@app.command()
@declares("webhooks.manage")
def add(
    url: str,
    event: list[str] = typer.Option(
        ..., "--event", "-e", help="event type (repeat), or * for all: " + ", ".join(EVENT_TYPES)
    ),
    secret: str = typer.Option("", help="signing secret (default: a new random one)"),
    description: str = typer.Option("", help="what the receiver is"),
    by: str = typer.Option("", "--by", help="who adds it (default: your login)"),
) -> None:
    """Subscribe URL to event types; prints the secret the receiver checks signatures with."""
    with domain_errors():
        sub = webhooks.subscribe(
            url=url, events=event, secret=secret, description=description, actor=_actor(by)
        )
    console.print(f"[green]subscribed[/] {sub.id} → {sub.url} ({', '.join(sub.events)})")
    console.print(f"secret: {sub.secret}")


@app.command("list")
@declares("webhooks.manage")
def list_subscriptions(
    all_: bool = typer.Option(False, "--all", help="include removed subscriptions"),
) -> None:
    """The subscriptions, with their event types."""
    table = Table("id", "url", "events", "active", "description")
    for sub in webhooks.subscriptions(include_inactive=all_):
        table.add_row(sub.id, sub.url, ", ".join(sub.events), str(sub.active), sub.description)
    console.print(table)


@app.command()
@declares("webhooks.manage")
def remove(subscription_id: str, by: str = typer.Option("", "--by")) -> None:
    """Stop sending to a subscription (its delivery log is kept)."""
    with domain_errors():
        sub = webhooks.unsubscribe(subscription_id, actor=_actor(by))
    console.print(f"[yellow]removed[/] {sub.id} ({sub.url})")


@app.command()
@declares("webhooks.manage")
def deliveries(
    subscription: str = typer.Option("", help="only this subscription"),
    status: str = typer.Option("", help="pending, delivered, retrying, failed or cancelled"),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """The delivery log: each event sent, its answer and attempts, newest first."""
    with domain_errors():
        rows = webhooks.deliveries(subscription=subscription, status=status, limit=limit)
    table = Table("id", "when", "event", "to", "status", "answer", "attempts", "error")
    for d in rows:
        table.add_row(
            d.id,
            f"{d.created_at:%Y-%m-%d %H:%M:%S}",
            d.event_type,
            d.subscription.url,
            d.status,
            str(d.response_status or ""),
            str(d.attempts),
            d.last_error[:60],
        )
    console.print(table)


@app.command()
@declares("webhooks.manage")
def replay(
    delivery_id: str = typer.Argument("", help="one delivery; or use --failed"),
    failed: bool = typer.Option(False, "--failed", help="every failed delivery"),
    since: datetime | None = typer.Option(None, help="with --failed: created since (ISO time)"),
    subscription: str = typer.Option("", help="with --failed: only this subscription"),
    by: str = typer.Option("", "--by"),
) -> None:
    """Send a delivery again (after a receiver lost it or was down past the last retry)."""
    if bool(delivery_id) == failed:
        fail("name one delivery ID, or use --failed")
    with domain_errors():
        if failed:
            when = timezone.make_aware(since) if since and not since.tzinfo else since
            count = webhooks.replay_failed(actor=_actor(by), since=when, subscription=subscription)
            console.print(f"[green]queued {count} failed deliveries again[/]")
            return
        delivery = webhooks.replay(delivery_id, actor=_actor(by))
    console.print(f"[green]queued[/] {delivery.id} ({delivery.event_type}) again")
