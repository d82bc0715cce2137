"""A database that was never migrated: the CLI and the API say to run `despatch migrate`,
never a traceback or a 500. Health probes answer GET only."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.integration.conftest import free_port

DESPATCH = [sys.executable, "-m", "despatch.cli.run"]


def fresh_env(tmp_path):
    return {
        **os.environ,
        "DESPATCH_HOME": str(tmp_path),
        "DESPATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}",
    }


def test_a_command_on_a_database_never_migrated_says_to_migrate(tmp_path):
    for command in (["orders", "list"], ["audit", "verify"]):
        run = subprocess.run(
            [*DESPATCH, *command], env=fresh_env(tmp_path), capture_output=True, text=True
        )
        assert run.returncode == 1, run.stderr
        assert "despatch migrate" in run.stderr and "Traceback" not in run.stderr


def get(url, method="GET", headers=None):
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read().decode()


@pytest.fixture
def unmigrated_server(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [*DESPATCH, "serve", "--port", str(port)],
        env=fresh_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            get(base + "/healthz")
            break
        except OSError:
            time.sleep(0.1)
    yield base
    server.terminate()
    server.wait(timeout=30)


def test_the_api_on_a_database_never_migrated_answers_503_saying_to_migrate(unmigrated_server):
    status, body = get(unmigrated_server + "/api/orders", headers={"Authorization": "Bearer x"})
    assert status == 503 and '"not_migrated"' in body and "despatch migrate" in body
    status, _ = get(unmigrated_server + "/readyz")
    assert status == 503


def test_health_probes_answer_get_and_refuse_post_with_405(unmigrated_server):
    assert get(unmigrated_server + "/healthz")[0] == 200
    for path in ("/healthz", "/readyz"):
        assert get(unmigrated_server + path, method="POST")[0] == 405


def test_a_command_with_the_database_unreachable_says_so_without_a_traceback(tmp_path):
    port = free_port()  # nothing listens here: the PostgreSQL server is "down"
    env = {
        **fresh_env(tmp_path),
        "DESPATCH_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres",
    }
    for command in (["worker", "--drain"], ["orders", "list"]):
        run = subprocess.run([*DESPATCH, *command], env=env, capture_output=True, text=True)
        assert run.returncode == 75, run.stderr
        assert "cannot be reached" in run.stderr and "Traceback" not in run.stderr


def test_a_webhook_on_a_database_never_migrated_answers_503_saying_to_migrate(unmigrated_server):
    request = urllib.request.Request(
        unmigrated_server + "/api/channels/shop/webhooks",
        data=b'{"id": 1}',
        headers={"Content-Type": "application/json", "X-Shopify-Hmac-Sha256": "x"},
    )
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("a webhook was accepted with no tables to keep it")
    except urllib.error.HTTPError as answer:
        body = json.loads(answer.read())
        assert answer.code == 503 and answer.headers["Retry-After"]
        assert answer.headers["Content-Type"] == "application/problem+json"
    assert body["code"] == "not_migrated" and "despatch migrate" in body["detail"]
