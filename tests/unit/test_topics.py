"""Every outbox topic is a member of Topic: none emitted as a bare string, none declared and
never emitted; every handler is registered with its topic and says whether it is transactional."""

import ast
import inspect
from pathlib import Path

from despatch.domain.events import SENDERS, Topic, sender_share
from despatch.domain.notifications import TRIGGERS
from despatch.domain.webhooks import EVENT_TYPES
from despatch.services import pipeline

SRC = Path(__file__).parents[2] / "src" / "despatch"


def emit_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "emit")
                or (isinstance(node.func, ast.Name) and node.func.id == "emit")
            ):
                calls.append((f"{path.relative_to(SRC)}:{node.lineno}", node))
    return calls


def topic_references(skip: set[str]) -> set[str]:
    """Members named as ``Topic.X`` anywhere in src/ but the files in ``skip``."""
    named = set()
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).as_posix() in skip:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "Topic"
            ):
                named.add(node.attr)
    return named


def test_no_topic_is_emitted_as_a_bare_string():
    bare = [
        where
        for where, call in emit_calls()
        if call.args and isinstance(call.args[0], ast.Constant | ast.JoinedStr)
    ]
    assert emit_calls(), "the scan found no emit() at all"
    assert bare == [], f"emit a Topic member, not a string: {bare}"


def test_every_declared_topic_is_emitted_somewhere():
    # the enum itself and the handler table name topics without emitting them
    emitted = topic_references({"domain/events.py", "services/pipeline.py"})
    never = sorted(t.name for t in Topic if t.name not in emitted)
    assert never == [], f"declared but never emitted (remove them or emit them): {never}"


def test_every_handler_is_registered_with_a_topic_and_says_if_it_is_transactional():
    assert pipeline.HANDLERS
    for topic, registration in pipeline.HANDLERS.items():
        assert topic in set(Topic), topic
        assert isinstance(registration.transactional, bool)
    declared = inspect.signature(pipeline.handler).parameters["transactional"]
    assert declared.default is inspect.Parameter.empty  # each registration must say it


def test_handlers_that_call_other_servers_run_outside_a_transaction():
    outside = {t for t, r in pipeline.HANDLERS.items() if not r.transactional}
    assert outside >= {
        Topic.SHIPMENT_DESPATCHED,
        Topic.CHANNEL_DELIVERY_RECEIVED,
        Topic.MESSAGE_SEND,
        Topic.WEBHOOK_DELIVER,
        Topic.REFUND_PROCESS,
    }


def test_subscribers_listen_to_real_topics():
    assert set(TRIGGERS) <= set(Topic)
    assert {t for topics in EVENT_TYPES.values() for t in topics} <= set(Topic)


def test_the_senders_lane_is_every_topic_whose_handler_calls_another_server():
    calls_out = {topic for topic, r in pipeline.HANDLERS.items() if not r.transactional}
    assert calls_out == {str(topic) for topic in SENDERS}


def test_senders_get_a_tenth_of_a_claim_and_at_least_one_but_never_a_claim_of_one():
    assert [sender_share(n) for n in (1, 2, 9, 10, 50, 100)] == [0, 1, 1, 1, 5, 10]
