"""Orders through the API, end to end: POST /api/orders until every order is allocated.

A real ``despatch serve --workers 2`` and two ``despatch worker`` processes on one database
(PostgreSQL by default). Client processes POST 3-line orders (3 SKUs of 200, 3 warehouses)
with a bearer token over keep-alive connections; the clock stops when the last order is
allocated (the workers' part included), read from the database. Run once with 1 client and
once with 4, on the same servers, the order tables emptied in between. (Not bench/http.py: a
script of that name would shadow the standard library's http package for every script here.)

    python bench/http_orders.py [--orders 2000] [--clients 1,4] [--server-workers 2] [--workers 2]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--inline]

With ``--inline`` the orders are posted with ``?process=inline``: allocated in the request.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pipeline
import webhooks

CHANNEL = "bench"


def prepare(url: str, out: mp.Queue) -> None:
    """Migrate and seed (pipeline.setup_database), a channel trusted to say its orders are
    paid, and a capture token; put the token on ``out``."""
    pipeline.setup_database(url)
    from despatch.models import Channel
    from despatch.services import catalogue, tokens

    catalogue.upsert_channel(code=CHANNEL, name="Bench", warehouses=pipeline.WAREHOUSES)
    Channel.objects.filter(code=CHANNEL).update(settings={"trusted_payment_status": True})
    tokens.ensure_user("bench", "bench-pass-9x!", superuser=True, actor="bench")
    out.put(tokens.create_token("bench", "bench", actor="bench"))


def client(
    port: int, token: str, name: str, count: int, seed: int, start_at: float, path: str, out
) -> None:
    rng = random.Random(seed)
    bodies = [
        json.dumps(
            {
                "channel": CHANNEL,
                "external_id": f"{name}-{n}",
                "currency": "GBP",
                "payment_status": "paid",
                "lines": [
                    {"sku": sku, "quantity": rng.randint(1, 2), "unit_price": "9.99"}
                    for sku in rng.sample(pipeline.SPREAD, 3)
                ],
                "shipping_address": {
                    "name": "Ada Okafor",
                    "line1": "4 Quay St",
                    "city": "Bristol",
                    "postcode": "BS1 4DJ",
                    "country": "GB",
                },
            }
        ).encode()
        for n in range(count)
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    time.sleep(max(0.0, start_at - time.time()))
    statuses: dict[int, int] = {}
    for body in bodies:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1
    out.put(statuses)


def run(url: str, port: int, token: str, clients: int, orders: int, path: str) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    reset = ctx.Process(target=pipeline.reset, args=(url,))
    reset.start()
    reset.join()
    out: mp.Queue = ctx.Queue()
    share = orders // clients
    start_at = time.time() + 3
    name = f"h{clients}-{os.getpid()}"
    procs = [
        ctx.Process(target=client, args=(port, token, f"{name}-{i}", share, i, start_at, path, out))
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    statuses: dict[int, int] = {}
    for _ in procs:
        for status, n in out.get(timeout=1800).items():
            statuses[status] = statuses.get(status, 0) + n
    posted = time.time() - start_at
    for p in procs:
        p.join()
    if set(statuses) != {201}:
        raise SystemExit(f"every order should be answered 201; the server answered {statuses}")
    deadline = time.time() + 600
    while (done := pipeline.allocated(url))[0] < share * clients:
        if time.time() > deadline:
            raise SystemExit(f"only {done[0]} of {share * clients} orders were allocated")
        time.sleep(0.05)
    took = time.time() - start_at
    waits = sorted(done[1])
    return {
        "clients": clients,
        "orders": share * clients,
        "posted_per_s": round(share * clients / posted, 1),
        "allocated_per_s": round(share * clients / took, 1),
        "p50_ms": round(1000 * waits[len(waits) // 2], 1),
        "p95_ms": round(1000 * waits[int(len(waits) * 0.95)], 1),
    }


def _start(env: dict[str, str], port: int, server_workers: int, workers: int) -> list:
    despatch = [sys.executable, "-m", "despatch.cli.run"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    procs = [
        subprocess.Popen(
            [*despatch, "serve", "--port", str(port), "--workers", str(server_workers)], **quiet
        )
    ]
    procs += [subprocess.Popen([*despatch, "worker"], **quiet) for _ in range(workers)]
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return procs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=2000, help="orders a run")
    parser.add_argument("--clients", default="1,4", help="client process counts to run")
    parser.add_argument("--server-workers", type=int, default=2, help="despatch serve processes")
    parser.add_argument("--workers", type=int, default=2, help="despatch worker processes")
    parser.add_argument("--database-url", default=pipeline.PG_BASE)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--inline", action="store_true", help="POST with ?process=inline (no worker needed)"
    )
    args = parser.parse_args()
    path = "/api/orders?process=inline" if args.inline else "/api/orders"
    url = webhooks._fresh_database(args.database_url)
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    setup = ctx.Process(target=prepare, args=(url, out))
    setup.start()
    token = out.get(timeout=600)
    setup.join()
    env = {**os.environ, "DESPATCH_DATABASE_URL": url, "DESPATCH_HOME": tempfile.mkdtemp()}
    port = webhooks._free_port()
    procs = _start(env, port, args.server_workers, args.workers)
    results = []
    try:
        for clients in (int(c) for c in args.clients.split(",")):
            r = run(url, port, token, clients, args.orders, path)
            results.append(r)
            print(
                f"{r['clients']} client(s): {r['orders']} orders, posted {r['posted_per_s']}/s, "
                f"allocated {r['allocated_per_s']}/s; received -> allocated p50 {r['p50_ms']} ms,"
                f" p95 {r['p95_ms']} ms"
            )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    if len(results) > 1:
        gain = results[-1]["allocated_per_s"] / results[0]["allocated_per_s"]
        print(f"{results[0]['clients']} -> {results[-1]['clients']} clients: x{gain:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
