"""``despatch config``: the configuration this process runs with, and its documentation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from despatch import config
from despatch.cli.access import local
from despatch.cli.common import console

app = typer.Typer(help="The configuration: every DESPATCH_* setting.", no_args_is_help=True)


@app.command("show")
@local("reads this process's environment, secrets masked; no business data")
def show() -> None:
    """Print the effective configuration (defaults filled in, secrets masked)."""
    table = Table("variable", "value")  # a value is folded, never cut, at any width
    table.columns[0].no_wrap = True
    table.columns[1].overflow = "fold"
    for variable, value in effective(config.current()):
        table.add_row(variable, value)
    console.print(table)


@app.command("table")
@local("prints documentation")
def table(
    markdown: bool = typer.Option(True, "--markdown", help="as the README's Markdown table"),
    in_docs: bool = typer.Option(False, "--in-docs", help="links as from docs/configuration.md"),
) -> None:
    """Print every setting with its default and meaning (the README's configuration table)."""
    print(markdown_table(in_docs=in_docs), end="")


MASK = "••••••"


def variables() -> list[tuple[str, str, str, bool]]:
    """(variable, default shown, meaning, secret) for each setting, in order."""
    rows = []
    for name, field in config.Config.model_fields.items():
        if field.exclude:
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        rows.append(
            (
                config.PREFIX + name.upper(),
                str(extra.get("shown", "")),
                field.description or "",
                bool(extra.get("secret")),
            )
        )
    return rows


# settings naming a file that, when unset, is read from DESPATCH_HOME under this name
HOME_FILES = {
    "DESPATCH_RATES": "rates.json",
    "DESPATCH_CARTONS": "cartons.csv",
    "DESPATCH_EXCEPTION_POLICY": "exception-policy.json",
}


def effective(current: config.Config) -> list[tuple[str, str]]:
    """(variable, value) with secrets masked: a set secret shows as ``••••••``; a file left
    unset shows the path read instead; anything else unset says ``(not set)`` and what that
    means when it means more than nothing."""
    shown: list[tuple[str, str]] = []
    for variable, default, _meaning, secret in variables():
        value = getattr(current, variable[len(config.PREFIX) :].lower())
        if variable == "DESPATCH_DATABASE_URL":
            value = _mask_password(current.database)
        elif variable == "DESPATCH_SECRET_KEY" and value == config.DEVELOPMENT_KEY:
            value = "(the development key: set one in production)"
        elif variable in HOME_FILES and value is None:
            value = _home_file(current.home / HOME_FILES[variable])
        elif secret:
            value = MASK if value else None
        text = _text(value)
        shown.append((variable, text if text else _unset(default)))
    for variable in sorted(current.sender_secrets):
        shown.append((variable, MASK))
    return shown


def _home_file(path: Path) -> str:
    return str(path) if path.exists() else f"{path} (no file there)"


def _unset(default: str) -> str:
    """``(not set)``, with the meaning of the default when it is more than "none"."""
    meaning = default.replace("`", "").strip()
    if meaning.startswith("none (") and meaning.endswith(")"):
        meaning = meaning[len("none (") : -1]
    return "(not set)" if meaning in ("", "none") else f"(not set: {meaning})"


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return str(value)
    return "" if value is None else str(value)


def _mask_password(url: str) -> str:
    """``postgresql://user:••••••@host/db``: the password of a database URL is a secret."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:{MASK}@{host}"


def markdown_table(*, in_docs: bool = False) -> str:
    """The README's configuration table (``in_docs``: with links from docs/ instead)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for variable, default, meaning, _secret in variables():
        lines.append(f"| `{variable}` | {default} | {meaning} |")
    table = "\n".join(lines) + "\n"
    return table.replace("](docs/", "](") if in_docs else table
