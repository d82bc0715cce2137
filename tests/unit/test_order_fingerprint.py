"""The order fingerprint (idempotent receiving) is the hash of the draft as dataclasses.asdict
gives it: orders stored before it was computed faster still match their retries."""

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime

from despatch.domain.addresses import Address
from despatch.domain.money import Money
from despatch.domain.orders import LineDraft, OrderDraft
from despatch.services.order_intake import _LATER_DRAFT_KEYS, _LATER_LINE_KEYS, fingerprint


def test_the_fingerprint_is_the_hash_of_the_draft_as_asdict_gives_it():
    draft = OrderDraft(
        "web",
        "EXT-1",
        "GBP",
        (LineDraft("A", 2, Money.parse("9.99", "GBP")), LineDraft("B", 1, Money.parse("1", "GBP"))),
        Address("Jo", "1 High St", "Leeds", "LS1 1AA", "GB"),
        customer_email="jo@example.com",
        customer_tags=("vip",),
        paid_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        extra={"language": "en", "nested": {"k": [1, 2]}},
    )
    content = asdict(draft)
    for key in _LATER_DRAFT_KEYS:
        if not content[key]:
            del content[key]
    for line in content["lines"]:
        for key in _LATER_LINE_KEYS:
            if not line[key]:
                del line[key]
    body = json.dumps(content, sort_keys=True, default=str)
    assert fingerprint(draft) == hashlib.sha256(body.encode()).hexdigest()
