"""``despatch notifications``: the message log, resends, template previews and checks."""

from __future__ import annotations

import getpass

import typer
from rich.table import Table

from despatch.cli.access import declares
from despatch.cli.common import console, domain_errors, fail
from despatch.domain.notifications import CUSTOMER_TEMPLATES, STAFF_TEMPLATES
from despatch.services import notifications

app = typer.Typer(
    help="Customer notifications and staff alerts: what was sent, resends, templates.",
    no_args_is_help=True,
)


@app.command("list")
@declares("messages.read")
def list_messages(
    order: str = typer.Option("", help="only this order's messages"),
    status: str = typer.Option("", help="queued, sent, retrying or failed"),
    audience: str = typer.Option("", help="customer or staff"),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """The message log, newest first."""
    with domain_errors():
        rows = notifications.list_messages(
            order_id=order, status=status, audience=audience, limit=limit
        )
    table = Table("id", "when", "template", "to", "medium", "status", "attempts", "error")
    for m in rows:
        table.add_row(
            m.id,
            f"{m.created_at:%Y-%m-%d %H:%M:%S}",
            m.template,
            m.recipient,
            m.medium,
            m.status,
            str(m.attempts),
            m.last_error[:60],
        )
    console.print(table)


@app.command()
@declares("messages.resend")
def resend(message_id: str, by: str = typer.Option("", "--by")) -> None:
    """Queue a failed message again. A message that was sent is never sent twice."""
    with domain_errors():
        message = notifications.resend(message_id, actor=f"user:{by or getpass.getuser()}")
    console.print(f"[green]queued[/] {message.id} to {message.recipient} again")


@app.command()
@declares("messages.read")
def preview(
    template: str = typer.Argument(
        ..., help="one of: " + ", ".join(CUSTOMER_TEMPLATES + STAFF_TEMPLATES)
    ),
    order: str = typer.Option(..., help="the order to render it for"),
    html: bool = typer.Option(False, "--html", help="print the HTML part instead of the text"),
) -> None:
    """Render a template for an order, as the customer would get it; nothing is sent."""
    with domain_errors():
        rendered = notifications.preview(template, order)
    console.print(f"[bold]Subject:[/] {rendered.subject}\n", highlight=False)
    console.print(rendered.html if html else rendered.text, markup=False, highlight=False)


@app.command()
@declares("messages.read")
def check() -> None:
    """Parse every template (the built-in ones and DESPATCH_NOTIFICATION_TEMPLATES)."""
    problems = notifications.check_templates()
    for problem in problems:
        console.print(f"[red]{problem}[/]", highlight=False)
    if problems:
        fail(f"{len(problems)} template(s) do not parse")
    console.print("[green]every template parses[/]")
