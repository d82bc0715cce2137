"""Every benchmark script runs in `make bench-smoke` (CI), so none can stop running unnoticed."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _smoke_scripts() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nbench-smoke:", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"bench/(\w+\.py)", recipe))


def test_every_benchmark_script_runs_in_the_smoke_target():
    scripts = {p.name for p in (ROOT / "bench").glob("*.py")}
    assert scripts, "bench/ holds the benchmark scripts"
    assert scripts == _smoke_scripts()


def test_ci_runs_the_smoke_target():
    assert "make bench-smoke" in (ROOT / ".ci" / "run").read_text()
