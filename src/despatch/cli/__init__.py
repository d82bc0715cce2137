"""The ``despatch`` command line (Typer + Rich)."""

from __future__ import annotations

import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despatch.settings")
    django.setup()
    from despatch.cli.app import app

    sys.exit(app())
