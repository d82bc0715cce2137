"""``despatch demo``: a small business, a day of orders, the whole pipeline, then the UI."""

from __future__ import annotations

import random
import socket
import time
from collections import Counter

import typer
from rich.table import Table

from despatch import config
from despatch.cli.common import console, err, progress_bar
from despatch.domain.errors import DomainError
from despatch.domain.wording import status_words
from despatch.services import demo as business
from despatch.services import demo_floor, reports, tokens
from despatch.services import orders as order_service

DEMO_USER, DEMO_PASSWORD = "demo", "despatch-demo"


def demo(
    orders: int = typer.Option(2000, help="orders to generate"),
    seed: int = typer.Option(7, help="random seed: the same seed gives the same day"),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="serve the UI and API afterwards"),
    port: int = typer.Option(8000, help="TCP port to serve on (127.0.0.1)"),
    floor: float = typer.Option(0.7, help="share of allocated shipments to pick/pack/despatch"),
) -> None:
    """Seed a small business, run a day of orders through the pipeline, print a summary."""
    from django.core.management import call_command

    from despatch.cli import server

    sock = _bind(port) if serve else None  # first: a taken port is said before the seeding
    if serve and "public_url" not in config.current().model_fields_set:
        config.load(public_url=f"http://127.0.0.1:{port}")  # email links lead to this server
    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(seed)
    shop = _seed(rng, seed, orders)
    users = demo_floor.role_users()
    failed: Counter[str] = Counter()  # events that failed in the inline drains, by topic
    _drain(failed)
    count, elapsed = _run_the_day(rng, shop, orders, failed)
    with progress_bar("working the warehouse floor", business.allocated_shipments()) as advance:
        business.work_the_floor(rng, floor, progress=advance)
    wave = _release_wave()
    _drain(failed)
    _print_summary(count, elapsed)
    _print_failures(failed)
    if wave:
        console.print(f"wave {wave.wave} released: {len(wave.pick_lists)} pick lists at /pick/")
    token = tokens.create_token(DEMO_USER, "demo", actor="demo")
    _print_logins(port, users, token, serving=sock is not None)
    if sock is not None:
        _start_worker_thread()
        console.print("a worker runs inside this process: orders posted to the API move on")
        server.run("127.0.0.1", port, threads=8, workers=1, sock=sock)


def _bind(port: int) -> socket.socket:
    """The demo's listening socket, or exit 1 saying the port is taken."""
    from despatch.cli import server

    try:
        return server.bind("127.0.0.1", port)
    except server.PortTaken as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None


def _seed(rng: random.Random, seed: int, orders: int) -> business.Business:
    """The business (restocked when it is there already), the demo user and the floor."""
    if business.sku_count() == 0:
        with progress_bar("seeding 3 warehouses, 200 SKUs, 4 channels", 200) as advance:
            shop = business.seed(rng, progress=advance, expected_orders=orders)
    else:
        shop = business.seed(random.Random(seed), reference="demo-restock", expected_orders=orders)
    tokens.ensure_user(
        DEMO_USER, DEMO_PASSWORD, roles=("ops_manager",), superuser=True, actor="demo"
    )
    demo_floor.set_up_floor([code for code, *_ in business.WAREHOUSES], shop.skus)
    return shop


def _run_the_day(
    rng: random.Random, shop: business.Business, orders: int, failed: Counter[str]
) -> tuple[int, float]:
    """Receive the day's orders and a few with problems, the inline worker keeping up;
    returns how many orders came in and the seconds it took."""
    prefix = f"D{int(time.time())}-"
    started = time.perf_counter()
    with progress_bar(f"receiving and processing {orders} orders", orders) as advance:
        for n, draft in enumerate(business.orders(rng, shop, orders, prefix=prefix), start=1):
            try:
                order_service.receive_order(draft, actor=f"channel:{draft.channel}")
            except DomainError as exc:
                console.print(f"[red]{draft.external_id}: {exc.detail}[/]")
            advance(1)
            if n % 25 == 0:  # the inline worker keeps up in small batches, as a live one would
                _drain(failed)
        problems = list(demo_floor.problem_orders("shopify-uk", "GBP", shop.skus[0], prefix))
        for draft in problems:
            order_service.receive_order(draft, actor=f"channel:{draft.channel}")
        _drain(failed)
    return orders + len(problems), time.perf_counter() - started


def _drain(failed: Counter[str]) -> None:
    """Run what is due inline; what fails waits out its backoff and its failed attempts are
    counted (a later drain of the demo may try it again once its backoff is over)."""
    from despatch import worker

    failed.update(worker.drain(summary=False).failures)


def _print_failures(failed: Counter[str]) -> None:
    if failed:
        each = ", ".join(f"{n} {topic}" for topic, n in failed.most_common())
        console.print(
            f"[yellow]{failed.total()} attempts failed ({each}): a worker retries them "
            "after their backoff; `despatch outbox status` shows the backlog[/]"
        )


def _release_wave() -> demo_floor.Wave | None:
    try:
        return demo_floor.release_wave("LON", actor="user:demo-floor")
    except DomainError as exc:  # e.g. nothing allocated is left in London
        console.print(f"[yellow]no wave released: {exc.detail}[/]")
        return None


def _print_logins(
    port: int, users: list[tuple[str, str, str]], token: str, *, serving: bool
) -> None:
    where = f"http://127.0.0.1:{port}/" if serving else "the app once `despatch serve` runs"
    console.print(
        f"\nlog in at [bold]{where}[/] as [bold]{DEMO_USER}[/] / "
        f"[bold]{DEMO_PASSWORD}[/]  (every role)\nor as one role:",
        soft_wrap=True,
    )
    for username, password, role in users:
        console.print(f"  {username} / {password}  (role {role})", soft_wrap=True)
    console.print(f"API token: [bold]{token}[/]  (docs: /api/docs)", soft_wrap=True)


def _start_worker_thread() -> None:
    """The demo's own worker, so that orders posted through the API are processed."""
    import threading

    from despatch import worker

    threading.Thread(target=worker.run, name="demo-worker", daemon=True).start()


def _print_summary(count: int, elapsed: float) -> None:
    s = reports.pipeline_summary()
    table = Table("status", "orders", title="orders by status")
    for status, n in sorted(s.by_status.items(), key=lambda kv: -kv[1]):
        table.add_row(status_words(status), str(n))
    console.print(table)
    console.print(
        f"{count} orders in {elapsed:.1f}s ({count / elapsed:.0f}/s) · "
        f"split rate {s.split_rate:.1%} · backordered {s.backordered} · on hold {s.on_hold}"
    )
    console.print(
        f"received → allocated: p50 {s.p50_allocate_ms:.0f} ms, p95 {s.p95_allocate_ms:.0f} ms"
    )
    colour = "green" if s.oversold_rows == 0 and not s.ledger_breaks else "red"
    console.print(
        f"[{colour}]oversells: {s.oversold_rows} · ledger breaks: {len(s.ledger_breaks)}[/]"
    )
