"""The audit chain's pure rules: canonical content, hashes, and naming the first break."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from despatch.domain import audit as chain
from despatch.domain.errors import ValidationFailed

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def entry(seq: int, **overrides):
    content = {
        "seq": seq,
        "id": f"audit_{seq}",
        "at": datetime(2026, 5, 1, 12, 0, tzinfo=UTC) + timedelta(microseconds=seq),
        "actor": "user:alice",
        "subject_type": "order",
        "subject_id": f"ord_{seq}",
        "order_id": f"ord_{seq}",
        "action": "held",
        "reason_code": "manual",
        "before": {"status": "received"},
        "after": {"status": "on_hold"},
        "detail": {"note": "checking"},
    }
    content.update(overrides)
    return content


def make_chain(n: int) -> list[chain.Link]:
    links, prev = [], chain.GENESIS
    for seq in range(1, n + 1):
        content = entry(seq)
        digest = chain.link_hash(content, prev)
        links.append(chain.Link(content, prev, digest))
        prev = digest
    return links


def head_of(links):
    return chain.Head(links[-1].seq, links[-1].hash) if links else chain.Head(0, chain.GENESIS)


START = chain.Head(0, chain.GENESIS)


def test_the_time_is_hashed_in_utc_with_microseconds_whatever_its_zone():
    here = datetime(2026, 5, 1, 13, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert chain.format_at(here) == "2026-05-01T12:00:00.000005Z"
    assert chain.canonical(entry(1, at=here)) == chain.canonical(
        entry(1, at=datetime(2026, 5, 1, 12, 0, 0, 5, tzinfo=UTC))
    )
    with pytest.raises(ValueError):
        chain.format_at(datetime(2026, 5, 1))


@given(json_values)
def test_a_value_hashes_the_same_as_it_reads_back_from_the_database(value):
    stored = chain.as_stored(value)
    assert chain.canonical(entry(1, detail={"v": value})) == chain.canonical(
        entry(1, detail={"v": stored})
    )


def test_jsonb_reading_a_whole_float_back_as_an_integer_changes_no_hash():
    assert chain.link_hash(entry(1, detail={"w": 1e20, "x": 2.0}), chain.GENESIS) == (
        chain.link_hash(entry(1, detail={"w": 10**20, "x": 2}), chain.GENESIS)
    )


def test_canonical_json_ignores_key_order_and_fields_outside_the_content():
    content = entry(1)
    reordered = dict(reversed(list(content.items())))
    assert chain.canonical(content) == chain.canonical({**reordered, "hash": "x", "extra": 1})


@given(
    st.sampled_from([f for f in chain.FIELDS if f not in ("seq", "at")]),
    st.text(min_size=1, max_size=5),
)
def test_changing_any_field_changes_the_hash(name, suffix):
    content = entry(1)
    changed = {**content, name: f"{content[name]}{suffix}"}
    assert chain.link_hash(changed, chain.GENESIS) != chain.link_hash(content, chain.GENESIS)


def test_the_same_content_after_another_entry_hashes_differently():
    assert chain.link_hash(entry(1), chain.GENESIS) != chain.link_hash(entry(1), "1" * 64)


@given(st.integers(0, 30))
def test_an_untouched_chain_verifies_to_its_head(n):
    links = make_chain(n)
    assert chain.verify(links, start=START, head=head_of(links)) == (n, None)


@given(st.integers(2, 20).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))))
def test_an_edited_entry_is_named(case):
    n, seq = case
    links = make_chain(n)
    link = links[seq - 1]
    links[seq - 1] = chain.Link(
        {**link.content, "actor": "user:mallory"}, link.prev_hash, link.hash
    )
    checked, broken = chain.verify(links, start=START, head=head_of(links))
    assert (checked, broken.seq, broken.id) == (seq - 1, seq, f"audit_{seq}")
    assert "content does not match its hash" in broken.problem


@given(st.integers(2, 20).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n - 1))))
def test_a_deleted_entry_is_named_by_its_sequence_and_the_entry_after_it(case):
    n, seq = case
    links = make_chain(n)
    recorded = head_of(links)
    del links[seq - 1]
    _, broken = chain.verify(links, start=START, head=recorded)
    assert (broken.seq, broken.id) == (seq + 1, f"audit_{seq + 1}")
    assert f"entry #{seq} before it is missing (deleted)" in broken.problem


def test_deleting_the_last_entries_is_caught_by_the_head():
    links = make_chain(5)
    _, broken = chain.verify(links[:3], start=START, head=head_of(links))
    assert broken.seq == 5 and "entries after #3 are missing" in broken.problem


def test_an_entry_rehashed_after_an_edit_breaks_the_link_to_the_next():
    links = make_chain(4)
    forged = {**links[1].content, "actor": "user:mallory"}
    links[1] = chain.Link(forged, links[1].prev_hash, chain.link_hash(forged, links[1].prev_hash))
    _, broken = chain.verify(links, start=START)
    assert broken.seq == 3 and "does not follow entry #2" in broken.problem


def test_swapped_entries_are_out_of_order():
    links = make_chain(4)
    links[1], links[2] = links[2], links[1]
    _, broken = chain.verify(links, start=START)
    assert broken.seq == 3 and "missing" in broken.problem
    assert str(broken).startswith("audit entry #3 (audit_3): ")


def test_a_walk_can_start_in_the_middle():
    links = make_chain(6)
    middle = chain.Head(links[2].seq, links[2].hash)
    assert chain.verify(links[3:], start=middle, head=head_of(links)) == (3, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-05-01T12:00Z", datetime(2026, 5, 1, 12, tzinfo=UTC)),
        ("2026-05-01T12:00", datetime(2026, 5, 1, 12, tzinfo=UTC)),
        ("2026-05-01T13:00+01:00", datetime(2026, 5, 1, 12, tzinfo=UTC)),
    ],
)
def test_a_moment_is_a_date_or_an_iso_time_in_utc_unless_it_says(text, expected):
    assert chain.parse_moment(text, "since") == expected


def test_a_bad_moment_names_the_field():
    with pytest.raises(ValidationFailed) as caught:
        chain.parse_moment("yesterday", "as_of")
    assert caught.value.errors[0].field == "as_of"


def test_secrets_are_fingerprinted_at_any_depth_and_passwords_hidden():
    shown = chain.redact(
        {"name": "Shop", "webhook_secret": "s3cret", "settings": {"api_key": "k", "n": 1}}
        | {"password": "hunter2", "token": ""}
    )
    assert shown["name"] == "Shop" and shown["settings"]["n"] == 1
    assert shown["webhook_secret"] == chain.fingerprint("webhook_secret", "s3cret")
    assert shown["webhook_secret"].startswith("*** sha256:") and "s3cret" not in str(shown)
    assert shown["settings"]["api_key"].startswith("*** sha256:")
    assert (shown["password"], shown["token"]) == ("***", "")


def test_a_change_keeps_only_the_fields_that_differ():
    before = {"name": "A", "weight_g": 1, "secret": "x"}
    assert chain.changes(before, dict(before)) == (None, None)
    assert chain.changes(before, {**before, "weight_g": 2}) == ({"weight_g": 1}, {"weight_g": 2})
    created = chain.changes(None, before)
    assert created[0] is None and created[1]["secret"].startswith("***")
