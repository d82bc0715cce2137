"""Webhook intake: signed deliveries per second through a real ``despatch serve``.

Intake is what a platform waits for: check the signature, store the raw delivery and its
outbox event in one transaction, answer 202. Processing happens later in the worker and is
not part of this figure (see pipeline.py for that).

    python bench/webhooks.py [--deliveries 4000] [--clients 4] [--threads 16]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "channels" / "shopify_order_multicurrency.json"
SECRET = "bench-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fresh_database(base: str) -> str:
    if base.startswith("sqlite"):
        return f"sqlite:///{tempfile.mkdtemp()}/webhooks.sqlite3"
    import pipeline

    name = pipeline.own_database(base, "despatch_bench_webhooks")
    return urlparse(base)._replace(path=f"/{name}").geturl()


def client(port: int, first: int, count: int, start_at: float, out: mp.Queue) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from despatch.integrations.channels.base import sign_base64

    template = json.loads(FIXTURE.read_text())
    bodies = []
    for n in range(first, first + count):
        template["id"] = 9_000_000_000 + n
        body = json.dumps(template).encode()
        bodies.append((f"bench-{n}", body, sign_base64(SECRET, body)))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as platforms' senders do
    time.sleep(max(0.0, start_at - time.time()))
    statuses: dict[int, int] = {}
    for delivery_id, body, signature in bodies:
        conn.request(
            "POST",
            "/api/channels/bench/webhooks",
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Webhook-Id": delivery_id,
                "X-Shopify-Hmac-Sha256": signature,
            },
        )
        response = conn.getresponse()
        response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1
    out.put((time.time(), statuses))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8, help="threads per server process")
    parser.add_argument("--workers", type=int, default=4, help="server processes")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "DESPATCH_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    url = _fresh_database(args.database_url)
    env = {**os.environ, "DESPATCH_DATABASE_URL": url, "DESPATCH_HOME": tempfile.mkdtemp()}
    despatch = [sys.executable, "-m", "despatch.cli.run"]
    subprocess.run([*despatch, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*despatch, "channels", "add", "bench", "--type", "shopify", "--webhook-secret", SECRET],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            *despatch,
            "serve",
            "--port",
            str(port),
            "--threads",
            str(args.threads),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        ctx = mp.get_context("spawn")
        out: mp.Queue = ctx.Queue()
        share = args.deliveries // args.clients
        start_at = time.time() + 3
        procs = [
            ctx.Process(target=client, args=(port, i * share, share, start_at, out))
            for i in range(args.clients)
        ]
        for p in procs:
            p.start()
        results = [out.get(timeout=600) for _ in procs]
        for p in procs:
            p.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    elapsed = max(end for end, _ in results) - start_at
    statuses: dict[int, int] = {}
    for _, counts in results:
        for status, n in counts.items():
            statuses[status] = statuses.get(status, 0) + n
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"{database}: {share * args.clients} signed deliveries from {args.clients} clients, "
        f"{args.workers} server processes x {args.threads} threads: "
        f"{share * args.clients / elapsed:.0f} deliveries/s "
        f"(answers: {statuses})"
    )
    if set(statuses) != {202}:
        sys.exit(f"every delivery should be answered 202; the server answered {statuses}")


if __name__ == "__main__":
    main()
