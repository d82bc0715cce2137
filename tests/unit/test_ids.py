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


def _digits(value):
    """Crockford base32, one digit at a time (the definition the fast encoder must match)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "".join(alphabet[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def test_the_encoding_is_crockford_base32_of_the_128_bits():
    import random

    from despatch.domain.ids import _crockford

    rng = random.Random(7)
    values = [0, 1, 31, 32, 2**128 - 1, 2**80, (1 << 127) | 5]
    values += [rng.getrandbits(128) for _ in range(2000)]
    assert [_crockford(v) for v in values] == [_digits(v) for v in values]
    assert _crockford(0) == "0" * 26 and _crockford(2**128 - 1) == "7" + "Z" * 25
