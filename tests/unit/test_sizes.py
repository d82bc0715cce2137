"""The size limits of tools/sizes.py hold (make check runs it too; here it also stops a land):
no module over 400 lines or function over 60 under src/ beyond the shrinking allowlist."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_no_new_oversized_module_or_function_and_no_stale_allowance():
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sizes.py")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_check_counts_a_long_function(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import sizes
    finally:
        sys.path.pop(0)
    package = tmp_path / "src" / "despatch"
    package.mkdir(parents=True)
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (package / "long.py").write_text(f"def long():\n{body}\n")
    monkeypatch.setattr(sizes, "ROOT", tmp_path)
    monkeypatch.setattr(sizes, "SRC", package)
    assert sizes.offenders() == {"src/despatch/long.py::long": 62}
