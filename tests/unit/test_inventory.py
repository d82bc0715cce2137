from despatch.domain.inventory import StockLevel, reconcile


def test_reconcile_finds_every_kind_of_break():
    levels = [
        StockLevel("A", "LON", 5, 2),
        StockLevel("B", "LON", 3, 4),
        StockLevel("C", "LON", 1, 0),
    ]
    breaks = reconcile(
        levels,
        {("A", "LON"): 5, ("B", "LON"): 3, ("C", "LON"): 2},
        {("A", "LON"): 2, ("B", "LON"): 4},
    )
    problems = {(b.sku, b.problem.split()[0]) for b in breaks}
    assert problems == {("B", "reserved"), ("C", "on_hand")}
    assert any("outside" in b.problem for b in breaks if b.sku == "B")


def test_a_consistent_ledger_has_no_breaks():
    assert reconcile([StockLevel("A", "LON", 5, 2)], {("A", "LON"): 5}, {("A", "LON"): 2}) == []
