"""`despatch shipping rates FILE --check` checks a rate card and says what it would install,
leaving the live card alone (without it, the command installs the card at once)."""

import json
from pathlib import Path

from typer.testing import CliRunner

from despatch.cli.app import app
from despatch.models import AuditEntry

RATES = Path(__file__).parents[2] / "docs" / "examples" / "rates.json"


def run(*args):
    result = CliRunner().invoke(app, ["shipping", "rates", *map(str, args)])
    return result.exit_code, " ".join(result.output.split())


def test_check_says_what_would_be_installed_and_installs_nothing(db, settings, tmp_path):
    settings.HOME = tmp_path
    live = {"carriers": [json.loads(RATES.read_text())["carriers"][1]]}  # UPS alone
    (tmp_path / "live.json").write_text(json.dumps(live))
    assert run(tmp_path / "live.json")[0] == 0
    installed = (tmp_path / "rates.json").read_text()
    changes = AuditEntry.objects.count()
    code, said = run(RATES, "--check")
    assert code == 0, said
    assert "royalmail" in said and "tracked-24" in said and "ups" in said
    assert "3 service(s)" in said and "nothing installed" in said
    assert (tmp_path / "rates.json").read_text() == installed
    assert AuditEntry.objects.count() == changes
    bad = json.loads(RATES.read_text())
    bad["carriers"][0]["services"][0]["currency"] = "XXX1"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    code, said = run(tmp_path / "bad.json", "--check")
    assert code != 0 and "carriers[0].services[0].currency" in said
    assert (tmp_path / "rates.json").read_text() == installed
