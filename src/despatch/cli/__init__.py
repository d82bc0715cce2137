"""The ``despatch`` command line (Typer + Rich)."""

from __future__ import annotations

import sys
from typing import NoReturn

import django

from despatch import config


def main() -> None:
    config.use_django_settings()
    try:
        config.load()  # every setting checked before any command (serve, worker) starts
    except config.ConfigError as exc:
        print(f"error: {exc} (see docs/configuration.md)", file=sys.stderr)
        sys.exit(2)
    django.setup()
    from django.db import DatabaseError

    from despatch.cli.app import app
    from despatch.cli.common import err
    from despatch.services import database

    try:
        sys.exit(app())
    except DatabaseError as exc:
        if database.lost(exc):
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            err.print(
                f"[red]error:[/] {database.where()} cannot be reached ({first}); "
                "nothing was changed: try again when it is back"
            )
            sys.exit(75)  # EX_TEMPFAIL: a retry later may work
        if not database.unmigrated(exc):
            unexpected(exc)
        err.print(
            f"[red]error:[/] {database.where()} has no Despatch tables yet: run "
            "[bold]despatch migrate[/] first (or set DESPATCH_DATABASE_URL to your database)"
        )
        sys.exit(1)
    except Exception as exc:  # the last guard: a one-line error, never a traceback
        unexpected(exc)


def unexpected(exc: BaseException) -> NoReturn:
    """Say what failed in one line on stderr and exit 70 (EX_SOFTWARE): a command meant to
    refuse bad input names its field itself; reaching here is a bug to report."""
    first = (str(exc).strip().splitlines() or [""])[0]
    print(f"error: {type(exc).__name__}: {first} (an unexpected failure)", file=sys.stderr)
    sys.exit(70)
