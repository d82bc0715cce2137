"""Module and function sizes under src/: fail on any module over 400 lines or function over
60 lines that the allowlist (tools/sizes-allowlist.txt) does not name.

The allowlist only shrinks: an entry whose module or function is back under its limit is
reported as stale and fails the check too, so the file is kept honest. Usage:

    python tools/sizes.py            # check (make check runs this)
    python tools/sizes.py --report   # every offender, allowed or not, largest first
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "despatch"
ALLOWLIST = ROOT / "tools" / "sizes-allowlist.txt"
MODULE_LIMIT = 400
FUNCTION_LIMIT = 60


def offenders() -> dict[str, int]:
    """``path`` or ``path::function`` → its length in lines, for everything over its limit."""
    found: dict[str, int] = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MODULE_LIMIT:
            found[name] = lines
        for node, qualified in _functions(ast.parse(text)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > FUNCTION_LIMIT:
                found[f"{name}::{qualified}"] = length
    return found


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[ast.AST, str]]:
    out: list[tuple[ast.AST, str]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append((node, prefix + node.name))
            out += _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            out += _functions(node, f"{prefix}{node.name}.")
    return out


def allowed() -> set[str]:
    if not ALLOWLIST.exists():
        return set()
    entries = (line.split("#", 1)[0].strip() for line in ALLOWLIST.read_text().splitlines())
    return {e for e in entries if e}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="list every offender")
    args = parser.parse_args()
    found = offenders()
    permitted = allowed()
    if args.report:
        for name, lines in sorted(found.items(), key=lambda kv: -kv[1]):
            mark = "allowed" if name in permitted else "NEW"
            print(f"{lines:5d}  {name}  ({mark})")
        return 0
    new = {n: v for n, v in found.items() if n not in permitted}
    stale = sorted(permitted - set(found))
    for name, lines in sorted(new.items()):
        limit = FUNCTION_LIMIT if "::" in name else MODULE_LIMIT
        print(f"{name}: {lines} lines (limit {limit}); split it, do not add it to the allowlist")
    for name in stale:
        print(f"{name}: within its limit now; remove it from {ALLOWLIST.relative_to(ROOT)}")
    if new or stale:
        return 1
    print(f"sizes: {len(found)} known offenders allowed, no new ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
