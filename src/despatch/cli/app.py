"""Top-level commands and the sub-command groups."""

from __future__ import annotations

import typer

from despatch.cli import (
    admin,
    audit,
    channels,
    configuration,
    demo,
    exceptions,
    kpis,
    notifications,
    orders,
    packing,
    payments,
    picking,
    returns,
    rules,
    shipping,
    stock,
    users,
    webhooks,
)
from despatch.cli.access import declares, local
from despatch.cli.common import console, err, unwrap_help

app = typer.Typer(
    name="despatch",
    help="Despatch: every order from every channel, from checkout to despatch.\n\n"
    "Configure the database with DESPATCH_DATABASE_URL (default: despatch.sqlite3 in "
    "DESPATCH_HOME, the current folder unless set).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(orders.app, name="orders")
app.add_typer(exceptions.app, name="exceptions")
app.add_typer(channels.app, name="channels")
app.add_typer(payments.app, name="payments")
app.add_typer(notifications.app, name="notifications")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(returns.app, name="returns")
app.add_typer(returns.refunds_app, name="refunds")
app.add_typer(rules.app, name="rules")
app.add_typer(stock.app, name="stock")
app.add_typer(picking.app, name="picking")
app.add_typer(packing.app, name="packing")
app.add_typer(shipping.app, name="shipping")
app.add_typer(admin.skus, name="skus")
app.add_typer(admin.warehouses, name="warehouses")
app.add_typer(users.users, name="users")
app.add_typer(users.tokens, name="tokens")
app.add_typer(admin.outbox_app, name="outbox")
app.add_typer(audit.app, name="audit")
app.command()(declares("reports.read")(kpis.kpis))
app.add_typer(configuration.app, name="config")
app.command()(local("seeds a demo business, then serves it with the usual checks")(demo.demo))


@app.command()
@local("changes the schema, not the business data")
def migrate() -> None:
    """Create or update the database schema."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    console.print("[green]database is up to date[/]")


@app.command()
@local("runs the server; each request is checked")
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, help="TCP port"),
    threads: int = typer.Option(8, help="threads per process"),
    workers: int = typer.Option(1, help="server processes sharing the port"),
) -> None:
    """Serve the web UI and the API (OpenAPI docs at /api/docs)."""
    from despatch.cli import server

    try:
        sock = server.bind(host, port)
    except server.PortTaken as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    extra = f", {workers} processes" if workers > 1 else ""
    console.print(f"Despatch on [bold]http://{host}:{port}/[/]  (API docs: /api/docs){extra}")
    server.run(host, port, threads=threads, workers=workers, sock=sock)


@app.command()
@local("runs the pipeline's handlers")
def worker(
    batch: int = typer.Option(100, min=1, max=10_000, help="events claimed per round"),
    max_seconds: float = typer.Option(0, min=0, help="stop after this long (0: run until stopped)"),
    drain: bool = typer.Option(False, "--drain", help="process what is due, then exit"),
) -> None:
    """Drain the outbox: run handlers, retry with backoff, park failures as dead.

    Waits out database outages; SIGTERM or Ctrl-C stops it after the batch in hand."""
    import logging

    from despatch import worker as relay
    from despatch.services import database

    if drain:
        stats = relay.drain(batch=batch)
        console.print(
            f"handled {stats.handled}, settled {stats.settled}, failed {stats.failed}, "
            f"dead {stats.dead}"
        )
        return
    relay.log.setLevel(min(relay.log.getEffectiveLevel(), logging.INFO))  # outages and recoveries
    database.label_connections(f"despatch worker {relay.worker_name()}")
    console.print(f"worker {relay.worker_name()} draining the outbox (Ctrl-C to stop)")
    relay.run(batch=batch, max_seconds=max_seconds or None)
    console.print("stopped")


unwrap_help(app)  # after every command above is registered
