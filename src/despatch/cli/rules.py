"""``despatch rules``: load, test, activate and read versioned rule sets."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import typer
from rich.table import Table

from despatch.cli.access import declares, local
from despatch.cli.common import console, domain_errors, read_utf8
from despatch.services import rules

app = typer.Typer(
    help="Rule sets (docs/rules.md): test a candidate on recent orders, load it, activate it.",
    no_args_is_help=True,
)

FILE = typer.Argument(..., help="the rule set, in YAML (docs/rules.md)")
BY = typer.Option("", "--by", help="who is acting (audited); default: your login")


def _read(file: Path) -> str:
    return read_utf8(file)


@app.command("check")
@local("checks a rule file; stores nothing")
def check(file: Path = FILE) -> None:
    """Read a rule set and report every error with its line, without storing it."""
    with domain_errors():
        rule_set = rules.compile_text(_read(file))
    console.print(f"[green]{file}: {len(rule_set.rules)} rule(s), no errors[/]")


@app.command("test")
@declares("rules.manage")
def test(
    file: Path = FILE,
    last: int = typer.Option(500, "--last", min=1, max=10000, help="replay the last N orders"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
    show: int = typer.Option(20, help="list at most this many changed orders"),
) -> None:
    """Replay the last N orders against FILE and the active rule set, on today's stock, and
    report what would change (holds, where orders ship from, the split rate)."""
    with domain_errors():
        report = rules.test_candidate(_read(file), last)
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
        return
    before, after = report.split_rate
    current = f"v{report.current_version}" if report.current_version else "no active rule set"
    console.print(f"{report.orders} order(s) replayed against {file} (compared with {current})")
    table = Table("", "now", f"with {file.name}")
    table.add_row("held by rules", str(report.holds_before), str(report.holds_after))
    table.add_row("split rate", f"{before:.1%}", f"{after:.1%}")
    table.add_row("orders shipping from elsewhere", "", str(report.routes_changed))
    console.print(table)
    for change in report.changes[:show]:
        console.print(f"  {change.external_id} ({change.order_id}): " + "; ".join(change.what))
    if len(report.changes) > show:
        console.print(f"  … and {len(report.changes) - show} more (--show or --json)")


@app.command("load")
@declares("rules.manage")
def load(
    file: Path = FILE,
    activate: bool = typer.Option(False, "--activate", help="make it the active rule set"),
    by: str = BY,
) -> None:
    """Store FILE as a new version (refused with every error and its line if it is wrong)."""
    with domain_errors():
        stored = rules.load(_read(file), actor=f"user:{by or getpass.getuser()}", activate=activate)
    state = "active" if stored.active else "not active (despatch rules activate VERSION)"
    console.print(f"rule set v{stored.version}: {stored.rule_count} rule(s), {state}")


@app.command("activate")
@declares("rules.manage")
def activate(version: int, by: str = BY) -> None:
    """Make VERSION the rule set applied to orders from now on."""
    with domain_errors():
        rules.activate_version(version, actor=f"user:{by or getpass.getuser()}")
    console.print(f"rule set v{version} is active")


@app.command("deactivate")
@declares("rules.manage")
def deactivate(by: str = BY) -> None:
    """Apply no rule set from now on."""
    rules.deactivate(actor=f"user:{by or getpass.getuser()}")
    console.print("no rule set is active")


@app.command("list")
@declares("rules.read")
def list_versions() -> None:
    """Every version, newest first."""
    table = Table("version", "name", "rules", "active", "loaded", "by")
    for v in rules.versions():
        table.add_row(
            f"v{v.version}",
            v.name,
            str(v.rule_count),
            "yes" if v.active else "",
            v.created_at.strftime("%Y-%m-%d %H:%M"),
            v.created_by,
        )
    console.print(table)


@app.command("show")
@declares("rules.read")
def show(version: int = typer.Argument(None, help="default: the active one")) -> None:
    """Print a version's YAML as it was loaded."""
    with domain_errors():
        found = rules.get_version(version)
    console.print(found.source, markup=False, highlight=False)
