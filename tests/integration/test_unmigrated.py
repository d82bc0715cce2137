"""A database that was never migrated: the CLI and the API say to run `despatch migrate`,
never a traceback or a 500. Health probes answer GET only."""

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
