"""What every command shares: the console, error printing, progress bars."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column

from despatch.domain.errors import DomainError, ValidationFailed

# Wide enough for any table a command prints: past a pipe or into a file nothing is cut
PIPE_WIDTH = 4000


class _Console(Console):
    """Rich's console, but when its output is not a terminal (``despatch refunds list | cat``,
    a file, a test) it is wide, so no ID or time is cut to ``rfd_01…`` at 80 columns. A width
    set in ``COLUMNS`` is kept (the tables then wrap, still never cutting an ID)."""

    @property
    def size(self) -> ConsoleDimensions:
        dims = super().size
        if self._width is None and not self.is_terminal and "COLUMNS" not in self._environ:
            return ConsoleDimensions(PIPE_WIDTH, dims.height)
        return dims

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = _Console()
err = _Console(stderr=True)


def by_option() -> str:
    """``--by USER``: who acts (checked by ``@declares``, recorded in the audit trail)."""
    return typer.Option(  # type: ignore[no-any-return]
        "", "--by", help="who is acting (checked, recorded in the audit trail); default: your login"
    )


def actor_of(by: str) -> str:
    """The audit actor of a command run ``--by USER``, else of the shell's login."""
    import getpass

    return f"user:{by or getpass.getuser()}"


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def read_utf8(path: Path, label: str = "") -> str:
    """A file's text, or a one-line error (exit 2) naming it when it cannot be read or is
    not UTF-8, with the byte that is not."""
    where = f"{label} {path}" if label else str(path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{where}: {exc.strerror or exc}", 2)
    except UnicodeDecodeError as exc:
        fail(f"{where}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at {exc.start})", 2)


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


def whole(header: str, cells: Iterable[str]) -> Column:
    """A column of IDs and order numbers (one a line in a cell): never cut or folded, whatever
    the terminal's width, so each can be copied whole; the table's other columns wrap instead."""
    widest = max((len(line) for cell in cells for line in cell.splitlines()), default=0)
    return Column(header, no_wrap=True, min_width=max(widest, len(header)))


def unwrap_help(app: typer.Typer) -> None:
    """Let ``--help`` wrap each paragraph to the terminal: a docstring's own line breaks (kept
    by Typer's rich help, "An⏎ exchange") become spaces; blank lines still part paragraphs."""
    for command in app.registered_commands:
        if isinstance(command.help, str):
            command.help = _unwrapped(command.help)
        elif command.callback is not None and command.callback.__doc__:
            command.callback.__doc__ = _unwrapped(command.callback.__doc__)
    for group in app.registered_groups:
        if isinstance(group.help, str):
            group.help = _unwrapped(group.help)
        if group.typer_instance is not None:
            if isinstance(group.typer_instance.info.help, str):
                group.typer_instance.info.help = _unwrapped(group.typer_instance.info.help)
            unwrap_help(group.typer_instance)


def _unwrapped(text: str) -> str:
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs
    )
