"""One writer per table: only the stock context (inventory, counts, the reconciler) writes
stock levels and the movement ledger; every other service calls inventory's functions."""

import ast
from pathlib import Path

SERVICES = Path(__file__).parents[2] / "src" / "despatch" / "services"
STOCK_CONTEXT = {"inventory.py", "counts.py", "reconciler.py"}
LEDGER = {"StockLevel", "StockMovement"}
WRITES = {"update", "create", "bulk_create", "get_or_create", "update_or_create", "delete", "save"}


def _named(path: Path) -> str:
    """The module's path under services/ (``channels/apply.py``): a module of the same name
    inside a package is not excused as the top-level one is."""
    return path.relative_to(SERVICES).as_posix()


def _root(node: ast.AST) -> str:
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node.id if isinstance(node, ast.Name) else ""


def ledger_writes(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        root = _root(node.func)
        if node.func.attr in WRITES and root in LEDGER:
            lines.append(node.lineno)
        if node.func.attr == "new_movement" and root == "inventory":
            lines.append(node.lineno)  # a movement made here would be saved here
    return lines


def test_only_the_stock_context_writes_levels_and_movements():
    offenders = [
        f"services/{_named(path)}:{line}"
        for path in sorted(SERVICES.rglob("*.py"))
        if _named(path) not in STOCK_CONTEXT
        for line in ledger_writes(path)
    ]
    assert offenders == [], f"write stock through services.inventory: {offenders}"


def test_the_scan_sees_a_write(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text(
        "StockLevel.objects.filter(sku_id=1).update(on_hand=2)\n"
        "inventory.new_movement('A', 'W', 1, 'return', 'me').save()\n"
        "StockLevel.objects.filter(sku_id=1).count()\n"
    )
    assert ledger_writes(sample) == [1, 2]


def payment_state_writes(path: Path) -> list[int]:
    """Lines assigning an order's ``payment_status`` attribute."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute) and part.attr == "payment_status":
                    lines.append(node.lineno)
    return lines


def test_only_orders_writes_an_orders_payment_state():
    offenders = [
        f"services/{_named(path)}:{line}"
        for path in sorted(SERVICES.rglob("*.py"))
        if _named(path) != "orders.py"
        for line in payment_state_writes(path)
    ]
    assert offenders == [], f"call orders.set_payment_status or orders.record_refund: {offenders}"
