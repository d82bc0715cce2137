"""The audit trail is hash-chained: it verifies after real traffic and names what was tampered."""

import pytest
from django.core.management import call_command
from django.db import connection
from typer.testing import CliRunner

from despatch import worker
from despatch.cli.app import app
from despatch.domain import audit as chain
from despatch.models import AuditEntry
from despatch.services import audit, cancellations, orders
from despatch.services.audit import Trail
from tests.conftest import make_draft

runner = CliRunner()


def traffic():
    """Orders received, allocated, held and cancelled: audit entries from many services."""
    kept, _ = orders.receive_order(make_draft([("A", 2), ("B", 1)]), actor="test")
    gone, _ = orders.receive_order(make_draft([("A", 1)]), actor="test")
    orders.receive_order(make_draft([("GHOST", 1)]), actor="test")
    worker.drain("test-worker")
    cancellations.cancel_order(gone.id, actor="user:alice", reason="customer_request")
    return kept


def sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_the_chain_verifies_after_real_pipeline_traffic(shop):
    traffic()
    verdict = audit.verify()
    assert verdict.ok, verdict.broken
    count = AuditEntry.objects.count()
    assert verdict.checked == count > 10
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, count + 1))
    assert audit.head() == chain.Head(count, AuditEntry.objects.get(seq=count).hash)


def test_values_the_database_rewrites_still_verify(db):
    trail = Trail("test")
    odd = {"big": 1e20, "whole": 2.0, "third": 1 / 3, "tiny": 1e-7, "text": 'Zoë ☃ "q" \\'}
    trail.add("thing", "T1", "odd", before=(1, 2), after={3: "int key"}, odd=odd, nested=[[{}]])
    trail.save()
    assert audit.verify().ok


def test_an_edited_row_is_named_by_verify(shop):
    traffic()
    victim = AuditEntry.objects.get(seq=4)
    sql("UPDATE despatch_auditentry SET actor = %s WHERE id = %s", "user:mallory", victim.id)

    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"#4 ({victim.id})" in result.output
    assert "content does not match its hash" in result.output


def test_a_deleted_row_is_named_by_verify(shop):
    traffic()
    after = AuditEntry.objects.get(seq=6)
    sql("DELETE FROM despatch_auditentry WHERE seq = 5")

    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"#6 ({after.id})" in result.output
    assert "entry #5 before it is missing (deleted)" in result.output


def test_a_rewritten_detail_is_caught_even_with_a_new_hash(shop):
    traffic()
    victim = AuditEntry.objects.get(seq=3)
    forged = {name: getattr(victim, name) for name in chain.FIELDS} | {"reason_code": "forged"}
    sql(
        "UPDATE despatch_auditentry SET reason_code = %s, hash = %s WHERE id = %s",
        "forged",
        chain.link_hash(forged, victim.prev_hash),
        victim.id,
    )
    broken = audit.verify().broken
    assert broken.seq == 4 and "does not follow entry #3" in broken.problem


def test_deleting_the_newest_entry_is_caught_by_the_head(shop):
    traffic()
    last = audit.head().seq
    sql("DELETE FROM despatch_auditentry WHERE seq = %s", last)
    broken = audit.verify().broken
    assert broken.seq == last and "missing" in broken.problem


def test_verify_since_a_date_starts_there_and_head_prints_the_latest_hash(shop):
    traffic()
    first = AuditEntry.objects.get(seq=5)
    since = chain.format_at(first.at)
    verdict = audit.verify(chain.parse_moment(since, "since"))
    start = AuditEntry.objects.filter(at__gte=first.at).order_by("seq").first().seq
    assert 1 < start <= 5
    assert verdict.ok and verdict.checked == audit.head().seq - start + 1
    result = runner.invoke(app, ["audit", "verify", "--since", since])
    assert result.exit_code == 0 and "audit chain intact" in result.output
    shown = runner.invoke(app, ["audit", "head"]).output.strip()
    assert shown == f"{audit.head().seq}:{audit.head().hash}"
    bad = runner.invoke(app, ["audit", "verify", "--since", "last tuesday"])
    assert bad.exit_code == 1 and "since" in bad.output


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_entries_written_before_it_in_time_order():
    call_command("migrate", "despatch", "0018", verbosity=0)
    try:
        rows = [
            ("audit_b", "2026-05-01 10:00:00.000002"),
            ("audit_a", "2026-05-01 10:00:00.000001"),
        ]
        rows.append(("audit_c", "2026-05-01 10:00:00.000002"))
        for key, at in rows:
            sql(
                "INSERT INTO despatch_auditentry (id, at, actor, subject_type, subject_id,"
                " order_id, action, reason_code, before, after, detail)"
                " VALUES (%s, %s, 'cli', 'order', 'o1', 'o1', 'held', '', NULL, %s, %s)",
                key,
                at if connection.vendor == "sqlite" else at + "+00",
                '{"status": "on_hold"}',
                '{"n": 1.0}',
            )
    finally:
        call_command("migrate", "despatch", verbosity=0)
    assert list(AuditEntry.objects.values_list("id", flat=True)) == [
        "audit_a",
        "audit_b",
        "audit_c",
    ]
    assert audit.verify() == audit.Verdict(3, None, audit.head()) and audit.head().seq == 3
    trail = Trail("test")
    trail.add("order", "o1", "released")
    trail.save()
    assert audit.verify().checked == 4


def test_a_chain_rewritten_after_a_kept_anchor_fails_against_the_anchor(shop):
    traffic()
    kept = runner.invoke(app, ["audit", "head"]).output.strip()
    assert runner.invoke(app, ["audit", "verify", "--anchor", kept]).exit_code == 0
    seq = audit.head().seq
    sql("UPDATE despatch_auditentry SET hash = %s WHERE seq = %s", "f" * 64, seq)
    result = runner.invoke(app, ["audit", "verify", "--anchor", kept])
    assert result.exit_code == 1 and f"#{seq}" in result.output
    assert "not the anchored hash" in result.output
    bad = runner.invoke(app, ["audit", "verify", "--anchor", "12:nothex"])
    assert bad.exit_code == 1 and "anchor" in bad.output


def test_the_api_verifies_and_names_a_break_for_ops_managers_only(shop, client):
    from despatch.services import tokens

    traffic()
    tokens.ensure_user("boss", "pw", roles=("ops_manager",))
    tokens.ensure_user("pat", "pw", roles=("picker",))
    boss = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('boss')}"}
    picker = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token('pat')}"}

    head = client.get("/api/audit/head", **boss).json()
    assert head == {"seq": audit.head().seq, "hash": audit.head().hash}
    fine = client.get("/api/audit/verify", **boss).json()
    assert fine["ok"] and fine["checked"] == head["seq"] and fine["broken"] is None
    victim = AuditEntry.objects.get(seq=2)
    sql("UPDATE despatch_auditentry SET action = 'nothing' WHERE id = %s", victim.id)
    found = client.get("/api/audit/verify", {"anchor": f"{head['seq']}:{head['hash']}"}, **boss)
    assert found.status_code == 200 and not found.json()["ok"]
    assert found.json()["broken"] | {"problem": ""} == {"seq": 2, "id": victim.id, "problem": ""}
    bad = client.get("/api/audit/verify", {"since": "soon"}, **boss)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "since"
    assert client.get("/api/audit/verify", **picker).status_code == 403
    assert client.get("/api/audit/head", **picker).status_code == 403


def _forged_after(prev_seq, prev_hash, seq=None):
    """A row written in SQL, hashed by the published rules so that it chains from prev."""
    content = {
        "seq": seq if seq is not None else prev_seq + 1,
        "id": "audit_forged",
        "at": "2026-05-01T12:00:00.000000Z",
        "actor": "user:mallory",
        "subject_type": "refund",
        "subject_id": "rf_1",
        "order_id": "",
        "action": "refund_approved",
        "reason_code": "",
        "before": None,
        "after": None,
        "detail": {},
    }
    digest = chain.link_hash(content, prev_hash)
    sql(
        "INSERT INTO despatch_auditentry (id, seq, at, actor, subject_type, subject_id,"
        " order_id, action, reason_code, before, after, detail, prev_hash, hash)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, NULL, %s, %s, %s)",
        content["id"],
        content["seq"],
        "2026-05-01 12:00:00" if connection.vendor == "sqlite" else "2026-05-01 12:00:00+00",
        content["actor"],
        "refund",
        "rf_1",
        "",
        "refund_approved",
        "",
        "{}",
        prev_hash,
        digest,
    )


def test_a_row_inserted_after_the_head_is_named_by_verify(shop):
    traffic()
    head = audit.head()
    _forged_after(head.seq, head.hash)  # a perfect link, but the head was not moved

    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert f"#{head.seq + 1} (audit_forged)" in result.output
    assert "after the head" in result.output


def test_a_row_inserted_before_the_first_place_is_named_by_verify(shop):
    traffic()
    _forged_after(-1, chain.GENESIS, seq=0)
    broken = audit.verify().broken
    assert broken is not None and (broken.seq, broken.id) == (0, "audit_forged")
    assert "before #1" in broken.problem


def test_the_tail_cut_off_with_the_head_row_is_caught(shop):
    traffic()
    last = audit.head().seq
    sql("DELETE FROM despatch_auditentry WHERE seq >= %s", last - 1)
    sql("DELETE FROM despatch_audithead")
    broken = audit.verify().broken
    assert broken is not None and "head row is missing" in broken.problem
