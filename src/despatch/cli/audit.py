"""The audit trail's hash chain: verify it, print its head."""

from __future__ import annotations

import typer

from despatch.cli.access import declares
from despatch.cli.common import console, domain_errors, fail
from despatch.domain.audit import parse_anchor, parse_moment
from despatch.services import audit

app = typer.Typer(help="The audit trail: prove it has not been changed.", no_args_is_help=True)


@app.command("verify")
@declares("audit.read")
def verify(
    since: str = typer.Option(
        "", "--since", help="start at the first entry at or after this date or time (UTC)"
    ),
    anchor: str = typer.Option(
        "", "--anchor", help="a SEQ:HASH kept from `audit head`: that entry must still match"
    ),
) -> None:
    """Walk the hash chain; exit 1 naming the first entry that was changed, moved or deleted."""
    with domain_errors():
        start = parse_moment(since, "since") if since else None
        kept = parse_anchor(anchor, "anchor") if anchor else None
    verdict = audit.verify(start, kept)
    if verdict.broken is not None:
        fail(
            f"audit chain broken at {verdict.broken} ({verdict.checked} entries matched before it)"
        )
    console.print(
        f"[green]audit chain intact[/]: {verdict.checked} entries checked, "
        f"head #{verdict.head.seq} {verdict.head.hash}",
        soft_wrap=True,
    )


@app.command("head")
@declares("audit.read")
def head() -> None:
    """Print the latest entry's sequence number and hash (SEQ:HASH), to keep somewhere else."""
    typer.echo(str(audit.head()))
