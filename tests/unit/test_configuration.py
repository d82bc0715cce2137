"""One configuration: every DESPATCH_* setting is read and checked in config.py, and nowhere
else; a bad value names the variable; the README's table is the one config.py generates."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from despatch import config
from despatch.cli import configuration
from despatch.cli.app import app

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src" / "despatch"
ALLOWED = {SRC / "config.py"}
READERS = {"environ", "environb", "getenv", "putenv", "unsetenv"}


def environment_reads(path: Path) -> list[int]:
    """Lines of ``path`` that touch os.environ, os.getenv or os.putenv."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in READERS
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            lines.append(node.lineno)
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and {a.name for a in node.names} & READERS
        ):
            lines.append(node.lineno)
    return lines


def test_nothing_but_config_reads_the_environment():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        if path not in ALLOWED and "migrations" not in path.parts
        for line in environment_reads(path)
    ]
    assert offenders == [], f"read the environment through despatch.config: {offenders}"


def test_the_scan_finds_a_read(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("import os\nfrom os import getenv\nA = os.environ.get('X')\n")
    assert environment_reads(sample) == [2, 3]


@pytest.mark.parametrize("document", ["README.md", "docs/configuration.md"])
def test_the_documented_table_is_the_generated_one(document):
    text = (ROOT / document).read_text(encoding="utf-8")
    start = "<!-- generated: despatch config table --markdown -->\n"
    table = text.split(start, 1)[1].split("<!-- end of generated table -->", 1)[0]
    assert table == configuration.markdown_table(in_docs=document.startswith("docs/"))


def test_every_setting_is_documented_in_configuration_md():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [v for v, *_ in configuration.variables() if f"`{v}`" not in text]
    assert missing == []


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("DESPATCH_SMTP_PORT", "twenty-five", "valid integer"),
        ("DESPATCH_REFUND_LIMITS", "500,50", "0 <= automatic <= dual"),
        ("DESPATCH_REOFFER_ORDER", "priority,luck", "unknown key(s) luck"),
        ("DESPATCH_RETURN_DISPOSITIONS", '{"Z": "restock"}', "wrong entries"),
        ("DESPATCH_DATABASE_URL", "mysql://x", "expected sqlite"),
        ("DESPATCH_SECURE", "perhaps", "valid boolean"),
        ("DESPATCH_SMTP_SECURITY", "tls", "'none', 'starttls' or 'ssl'"),
        ("DESPATCH_PUBLIC_URL", "shop.example", "not an http"),
        ("DESPATCH_TRACKING_URL", "https://track.example/", "needs {tracking_number}"),
        ("DESPATCH_TRACKING_URL", "https://t.example/{number}", "{tracking_number}"),
        ("DESPATCH_TRACKING_URL", "https://t.example/{tracking_number}/{x}", "in braces"),
        ("DESPATCH_STAFF_ALERT_EMAILS", "ops@shop.example,notanemail", "address: notanemail"),
        ("DESPATCH_MAIL_FROM", "bad", "not an email address: bad"),
        ("DESPATCH_DATABASE_URL", "postgresql://u@127.0.0.1:abc/db", "port 'abc' is not a"),
        ("DESPATCH_DATABASE_URL", "postgresql://u@127.0.0.1:99999/db", "port '99999' is not"),
        ("DESPATCH_DATABASE_URL", "postgres://u:p@[::1]:0/db", "port '0' is not a number"),
        ("DESPATCH_MAIL_FROM", "Shop <shop>", "not an email address: shop"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_reason(monkeypatch, variable, value, reason):
    monkeypatch.setattr(os, "environ", {**os.environ, variable: value})
    with pytest.raises(config.ConfigError) as caught:
        config.load()
    assert caught.value.variable == variable
    assert reason in caught.value.reason


def test_values_are_parsed_once(monkeypatch):
    monkeypatch.setenv("DESPATCH_STAFF_ALERT_EMAILS", " ops@shop.example, ,lead@shop.example")
    monkeypatch.setenv("DESPATCH_SMTP_SECURITY", "STARTTLS")
    monkeypatch.setenv("DESPATCH_PAYMENTS_SECRET_BANK", "k")
    current = config.current()
    assert current.staff_alert_emails == ("ops@shop.example", "lead@shop.example")
    assert current.smtp_security == "starttls"
    assert current.sender_secret("DESPATCH_PAYMENTS_SECRET_BANK") == "k"
    with pytest.raises(Exception, match="frozen"):
        current.smtp_port = 26  # type: ignore[misc]


def test_good_addresses_and_patterns_are_taken(monkeypatch):
    monkeypatch.setenv("DESPATCH_TRACKING_URL", "https://t.example/{carrier}/{tracking_number}")
    monkeypatch.setenv("DESPATCH_MAIL_FROM", "Shop <orders@shop.example>")
    monkeypatch.setenv("DESPATCH_STAFF_ALERT_EMAILS", "ops@shop.example")
    loaded = config.load()
    assert loaded.tracking_url == "https://t.example/{carrier}/{tracking_number}"
    assert loaded.mail_from == "Shop <orders@shop.example>"
    config.reload()


def test_a_missing_home_is_refused_when_the_database_lives_in_it(monkeypatch, tmp_path):
    missing = tmp_path / "nonexistent" / "dir"
    env = {k: v for k, v in os.environ.items() if k != "DESPATCH_DATABASE_URL"}
    monkeypatch.setattr(os, "environ", {**env, "DESPATCH_HOME": str(missing)})
    with pytest.raises(config.ConfigError) as caught:
        config.load()
    assert caught.value.variable == "DESPATCH_HOME"
    assert "no such folder" in caught.value.reason and str(missing) in caught.value.reason
    postgres = "postgresql://postgres@127.0.0.1:5432/shop"  # no database in it: taken
    monkeypatch.setattr(os, "environ", {**os.environ, "DESPATCH_DATABASE_URL": postgres})
    assert config.load().home == missing


def test_a_missing_home_stops_the_worker_at_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DESPATCH_DATABASE_URL"}
    env["DESPATCH_HOME"] = str(tmp_path / "nonexistent" / "dir")
    done = subprocess.run(
        [sys.executable, "-c", "from despatch.cli import main; main()", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: DESPATCH_HOME: ")


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_a_bad_value_stops_the_server_and_the_worker_at_start(command):
    env = {**os.environ, "DESPATCH_CONN_MAX_AGE": "-5"}
    done = subprocess.run(
        [sys.executable, "-c", "from despatch.cli import main; main()", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "error: DESPATCH_CONN_MAX_AGE: Input should be greater than or equal to 0 (it is '-5') "
        "(see docs/configuration.md)"
    ]


def test_config_show_masks_secrets(monkeypatch):
    monkeypatch.setenv("DESPATCH_SMTP_PASSWORD", "hunter2-very-secret")
    monkeypatch.setenv("DESPATCH_TRACKING_SECRET_ROYALMAIL", "rm-secret")
    monkeypatch.setenv("DESPATCH_DATABASE_URL", "postgresql://shop:pw-secret@db.internal:5432/shop")
    monkeypatch.setenv("DESPATCH_SMTP_HOST", "mail.shop.example")
    result = CliRunner().invoke(app, ["config", "show"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output and "rm-secret" not in result.output
    assert "pw-secret" not in result.output
    assert "postgresql://shop:••••••@db.internal:5432/shop" in result.output
    assert "DESPATCH_TRACKING_SECRET_ROYALMAIL" in result.output
    assert "mail.shop.example" in result.output


def test_config_show_says_what_an_unset_setting_means(monkeypatch, tmp_path):
    for variable in (
        "RATES",
        "CARTONS",
        "EXCEPTION_POLICY",
        "TRACKING_URL",
        "SMTP_HOST",
        "SMTP_PASSWORD",
    ):
        monkeypatch.delenv(f"DESPATCH_{variable}", raising=False)
    monkeypatch.setenv("DESPATCH_HOME", str(tmp_path))
    (tmp_path / "rates.json").write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(app, ["config", "show"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    # every row has a value, and a long one is folded at 80 columns, not cut
    shown = dict(configuration.effective(config.reload()))
    assert all(shown.values()) and "…" not in result.output
    assert shown["DESPATCH_RATES"] == str(tmp_path / "rates.json")  # the file read
    assert shown["DESPATCH_CARTONS"] == f"{tmp_path / 'cartons.csv'} (no file there)"
    assert shown["DESPATCH_EXCEPTION_POLICY"].startswith(str(tmp_path / "exception-policy.json"))
    assert shown["DESPATCH_TRACKING_URL"] == "(not set)"
    assert shown["DESPATCH_SMTP_HOST"] == "(not set: no email)"
    assert shown["DESPATCH_SMTP_PASSWORD"] == "(not set)"
    assert "(not set)" in result.output and "rates.json" in result.output


@pytest.mark.parametrize("command", [["orders", "list"], ["migrate"], ["worker"]])
@pytest.mark.parametrize("port", ["abc", "99999"])
def test_a_bad_database_port_is_one_line_for_every_command(command, port):
    env = {**os.environ, "DESPATCH_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/x"}
    done = subprocess.run(
        [sys.executable, "-c", "from despatch.cli import main; main()", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("error: DESPATCH_DATABASE_URL: ")
    assert f"port {port!r} is not a number from 1 to 65535" in lines[0]
