"""The ``despatch`` command line (Typer + Rich)."""

from __future__ import annotations

import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despatch.settings")
    django.setup()
    from django.db import DatabaseError

    from despatch.cli.app import app
    from despatch.cli.common import err
    from despatch.services import database

    try:
        sys.exit(app())
    except DatabaseError as exc:
        if not database.unmigrated(exc):
            raise
        err.print(
            f"[red]error:[/] {database.where()} has no Despatch tables yet: run "
            "[bold]despatch migrate[/] first (or set DESPATCH_DATABASE_URL to your database)"
        )
        sys.exit(1)
