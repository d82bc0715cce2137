"""`despatch serve` answers 503 while its PostgreSQL database refuses connections, and
recovers by itself when the database is back."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode, urlparse

import pytest

from tests.integration.conftest import free_port

DESPATCH = [sys.executable, "-m", "despatch.cli.run"]
BASE = os.environ.get("DESPATCH_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not BASE.startswith("postgres"), reason="makes a PostgreSQL database refuse connections"
)


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(BASE, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def database():
    name = f"despatch_outage_{os.getpid()}"
    admin(f"DROP DATABASE IF EXISTS {name}")
    admin(f"CREATE DATABASE {name}")
    yield name, urlparse(BASE)._replace(path=f"/{name}").geturl()
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def cli(env, *args) -> str:
    done = subprocess.run([*DESPATCH, *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


class Browser:
    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str, api: bool = False, data: bytes | None = None):
        headers = {"Authorization": f"Bearer {self.token}"} if api else {}
        request = urllib.request.Request(self.url + path, data=data, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode()
        except urllib.error.URLError:
            return 0, {}, ""  # not listening yet

    def log_in(self, username: str, password: str) -> None:
        _, _, page = self.get("/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"username": username, "password": password, "csrfmiddlewaretoken": csrf}
        status, _, page = self.get("/login/", data=urlencode(form).encode())
        assert status == 200 and "Log in" not in page.split("<title>")[1][:40]


def wait_until(predicate, what: str, seconds: float = 30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"never saw: {what}")


def test_the_server_answers_503_while_the_database_is_away_and_recovers_without_a_restart(
    database, tmp_path
):
    name, url = database
    env = {**os.environ, "DESPATCH_DATABASE_URL": url, "DESPATCH_HOME": str(tmp_path)}
    cli(env, "migrate")
    cli(env, "users", "create", "ops", "--password", "ops-pass", "--role", "ops_manager")
    browser = Browser(
        f"http://127.0.0.1:{free_port()}", cli(env, "tokens", "create", "ops").strip()
    )
    port = browser.url.rsplit(":", 1)[1]
    with (tmp_path / "serve.log").open("w") as log:
        serve = subprocess.Popen([*DESPATCH, "serve", "--port", port], env=env, stderr=log)
    try:
        wait_until(lambda: browser.get("/healthz")[0] == 200, "the server answering")
        browser.log_in("ops", "ops-pass")
        assert browser.get("/api/orders", api=True)[0] == 200
        assert browser.get("/")[0] == 200

        admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        status, headers, body = browser.get("/api/orders", api=True)
        assert status == 503 and headers["Content-Type"] == "application/problem+json"
        assert json.loads(body)["code"] == "database_unavailable" and headers["Retry-After"]
        status, headers, page = browser.get("/")
        assert status == 503 and "waiting for its database" in page and headers["Retry-After"]
        status, _, body = browser.get("/readyz")
        assert status == 503 and json.loads(body)["failing"] == ["database"]
        assert name not in body and "127.0.0.1" not in body  # says nothing of where it lives
        assert browser.get("/healthz")[0] == 200  # the process itself is fine

        admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        wait_until(lambda: browser.get("/readyz")[0] == 200, "ready again")
        assert browser.get("/api/orders", api=True)[0] == 200
        assert browser.get("/")[0] == 200
        assert serve.poll() is None
    finally:
        admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        serve.terminate()
        serve.wait(timeout=30)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_a_webhook_answers_503_while_the_database_is_away_and_is_kept_once_it_is_back(
    database, tmp_path
):
    from despatch.integrations.channels.base import sign_base64

    name, url = database
    env = {**os.environ, "DESPATCH_DATABASE_URL": url, "DESPATCH_HOME": str(tmp_path)}
    cli(env, "migrate")
    cli(env, "channels", "add", "shop", "--type", "shopify", "--webhook-secret", "s3cret")
    base = f"http://127.0.0.1:{free_port()}"
    body = b'{"id": 1}'
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": "outage-1",
        "X-Shopify-Hmac-Sha256": sign_base64("s3cret", body),
    }
    browser = Browser(base, "")

    def deliver(webhook_id: str):
        request = urllib.request.Request(
            base + "/api/channels/shop/webhooks",
            data=body,
            headers={**headers, "X-Shopify-Webhook-Id": webhook_id},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode()

    with (tmp_path / "serve.log").open("w") as log:
        serve = subprocess.Popen(
            [*DESPATCH, "serve", "--port", base.rsplit(":", 1)[1]], env=env, stderr=log
        )
    try:
        wait_until(lambda: browser.get("/healthz")[0] == 200, "the server answering")
        assert deliver("before")[0] == 202  # the server now keeps a connection

        admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        status, answer_headers, answer = deliver("during")
        assert status == 503 and answer_headers["Content-Type"] == "application/problem+json"
        assert json.loads(answer)["code"] == "database_unavailable"
        assert answer_headers["Retry-After"]

        admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        status, _, answer = deliver("during")  # the platform's retry is kept, once
        assert status == 202 and json.loads(answer)["status"] == "accepted"
        assert serve.poll() is None
    finally:
        admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        serve.terminate()
        serve.wait(timeout=30)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
