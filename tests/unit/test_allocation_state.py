"""Order.allocation, typed: one reader, one serialiser, and the JSON keeps its shape."""

from despatch.domain.allocation_state import AllocationState

STORED = {
    "assignments": [{"line_id": "l1", "sku": "A", "warehouse": "LON", "quantity": 1}],
    "backorders": [],
    "explanation": ["LON has everything"],
    "strategy": "fewest_shipments",
    "split": False,
    "promise": {"LON": {"deliver_by": "2026-05-02", "late": False}},
    "rules": {"applied": ["r1"], "carrier": "royal-mail", "forbid_split": True},
    "rules_released": ["r0"],
    "fraud_cleared": True,
    "oversell_accepted": True,
    "oversold": [{"sku": "A", "units": 1}],
    "something_new": 1,
}


def test_reading_and_writing_gives_back_the_same_json():
    assert AllocationState.read(STORED).to_json() == STORED
    assert AllocationState.read({}).to_json() == {}
    assert AllocationState.read(None).to_json() == {}


def test_the_decisions_are_read_by_name():
    state = AllocationState.read(STORED)
    assert state.carrier == "royal-mail"
    assert state.forbid_split and state.fraud_cleared and state.oversell_accepted
    assert state.rules_released == ("r0",)
    assert state.explanation == ["LON has everything"]
    assert AllocationState.read({}).carrier is None


def test_a_new_plan_keeps_the_decisions_and_drops_the_rest():
    plan = {"assignments": [], "backorders": [], "explanation": ["x"], "strategy": "s"}
    fresh = AllocationState.read(STORED).replanned({**plan, "split": True}).to_json()
    assert fresh == {
        **plan,
        "split": True,
        "rules": STORED["rules"],
        "rules_released": ["r0"],
        "fraud_cleared": True,
        "oversell_accepted": True,
    }


def test_changes_make_a_new_state():
    state = AllocationState.read({})
    changed = state.but(fraud_cleared=True).released(["r9"])
    assert state.to_json() == {}
    assert changed.to_json() == {"fraud_cleared": True, "rules_released": ["r9"]}
    assert state.but(rules={"applied": ["r1"]}).but(rules=None).to_json() == {}
