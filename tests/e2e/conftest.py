"""A real Despatch: `despatch serve` and `despatch worker` as processes on a fresh database
(a new SQLite file, or a new PostgreSQL database when DESPATCH_DATABASE_URL names one)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

DESPATCH = [sys.executable, "-m", "despatch.cli.run"]


@dataclass
class Server:
    url: str
    token: str
    env: dict

    def call(self, method: str, path: str, body=None, raw: bytes | None = None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(
            f"{self.url}/api{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def wait_for(self, predicate, what: str, tries: int = 300):
        """Poll until ``predicate()`` is truthy (the worker runs in another process)."""
        for _ in range(tries):
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"never saw: {what}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    base = os.environ.get("DESPATCH_DATABASE_URL", "")
    if not base.startswith("postgres"):
        yield f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'despatch.sqlite3'}"
        return
    import psycopg

    name = f"despatch_e2e_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    yield urlparse(base)._replace(path=f"/{name}").geturl()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _cli(env, *args, stdin=None) -> str:
    done = subprocess.run(
        [*DESPATCH, *args], env=env, capture_output=True, text=True, input=stdin, timeout=300
    )
    assert done.returncode == 0, f"despatch {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def server(database_url, tmp_path_factory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("home")
    examples = Path(__file__).parents[2] / "docs" / "examples"
    env = {
        **os.environ,
        "DESPATCH_DATABASE_URL": database_url,
        "DESPATCH_HOME": str(home),
        "DESPATCH_RATES": str(examples / "rates.json"),
        "DESPATCH_CARTONS": str(examples / "cartons.csv"),
        "DESPATCH_WEBHOOK_ALLOW_PRIVATE": "1",  # set-up's connection test reaches fake platforms
    }
    _cli(env, "migrate")
    _cli(env, "users", "create", "ops", "--password", "ops-pass", "--role", "ops_manager")
    token = _cli(env, "tokens", "create", "ops").strip()
    skus = Path(home / "skus.csv")
    skus.write_text(
        "sku,name,gtin,length_mm,width_mm,height_mm,weight_g\n"
        "MUG-1,Black Mug,,100,90,95,350\nTEE-1,Navy Tee,,300,200,20,180\n"
    )
    _cli(env, "skus", "import", str(skus))
    _cli(
        env,
        "warehouses",
        "add",
        "LON",
        "--name",
        "London",
        "--tz",
        "Europe/London",
        "--priority",
        "1",
    )
    _cli(env, "warehouses", "add", "NJ", "--name", "New Jersey", "--tz", "America/New_York")
    _cli(env, "stock", "receive", "--sku", "MUG-1", "--warehouse", "LON", "--qty", "50")
    _cli(env, "warehouses", "layout", "LON", "--file", str(examples / "layout.json"))
    bins = home / "bins.csv"
    bins.write_text("sku,location\nMUG-1,A03-B17-R\n")
    _cli(env, "warehouses", "locations", "LON", "--file", str(bins))
    _cli(env, "stock", "receive", "--sku", "TEE-1", "--warehouse", "NJ", "--qty", "50")
    _cli(
        env,
        "channels",
        "add",
        "shop",
        "--type",
        "shopify",
        "--webhook-secret",
        "e2e-secret",
        "--warehouses",
        "LON,NJ",
        "--setting",
        "trusted_payment_status=true",  # the tests' API orders state they are paid
    )
    _cli(env, "channels", "add", "web", "--type", "api", "--setting", "trusted_payment_status=true")
    port = _free_port()
    logs = [open(home / f"{name}.log", "w") for name in ("serve", "worker")]  # noqa: SIM115
    serve = subprocess.Popen(
        [*DESPATCH, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=logs[0],
        stderr=subprocess.STDOUT,
    )
    work = subprocess.Popen(
        [*DESPATCH, "worker"], env=env, stdout=logs[1], stderr=subprocess.STDOUT
    )
    server = Server(f"http://127.0.0.1:{port}", token, env)
    try:
        server.wait_for(lambda: _answers(server.url), "the server answering")
        yield server
    finally:
        for proc in (serve, work):
            proc.terminate()
            proc.wait(timeout=30)
        for log in logs:
            log.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/login/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
