"""What every command shares: the console, error printing, progress bars."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from despatch.domain.errors import DomainError, ValidationFailed

console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Print a DomainError as the API would describe it, and exit non-zero."""
    try:
        yield
    except ValidationFailed as exc:
        for e in exc.errors:
            err.print(f"[bold red]error:[/] {e.field}: {e.message} [dim]({e.code})[/]")
        raise typer.Exit(1) from None
    except DomainError as exc:
        fail(f"{exc.detail} [dim]({exc.code})[/]")


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(label, total=total)

        def advance(n: int = 1) -> None:
            progress.advance(task, n)

        yield advance
