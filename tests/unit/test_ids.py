from despatch.domain.ids import kind_of, new_id


def test_ids_carry_their_kind_and_are_unique():
    ids = {new_id("order") for _ in range(2000)}
    assert len(ids) == 2000
    assert all(i.startswith("ord_") and len(i) == 30 for i in ids)
    assert kind_of(next(iter(ids))) == "order"


def test_ids_sort_by_creation_time():
    first = new_id("shipment")
    import time

    time.sleep(0.002)
    assert new_id("shipment") > first


def test_ids_made_in_the_same_millisecond_keep_their_order():
    made = [new_id("audit") for _ in range(500)]
    assert made == sorted(made)
