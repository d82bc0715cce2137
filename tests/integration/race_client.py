"""One racing process, spawned by the concurrency tests (not a test itself).

    python -m tests.integration.race_client receive DB_URL START_AT SEED COUNT
        receive COUNT orders for hot SKUs and allocate each at once, racing the others
    python -m tests.integration.race_client drain DB_URL START_AT
        drain the outbox as one of several workers; print the event IDs handled
    python -m tests.integration.race_client webhook DB_URL START_AT CHANNEL DELIVERY_ID FILE
        deliver a signed Shopify webhook (as a platform retrying would), then drain
    python -m tests.integration.race_client process DB_URL START_AT DELIVERY_PK
        process one stored channel delivery, racing the others
    python -m tests.integration.race_client resolve DB_URL START_AT EXCEPTION_ID ACTION WHO
        resolve one exception case as WHO (release or cancel), racing the others
    python -m tests.integration.race_client escalate DB_URL START_AT
    python -m tests.integration.race_client payment DB_URL START_AT ORDER_ID EVENT_ID
        apply one "paid" payment notice, as a provider retrying at once would
        escalate every case past its SLA, as one of several workers
    python -m tests.integration.race_client audit DB_URL START_AT WHO COUNT
        append COUNT audit trails of two entries each, one transaction each, racing the others

Prints one JSON line with what it did.
"""

import json
import os
import random
import sys
import time


def main() -> None:
    mode, url, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
    os.environ["DESPATCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "despatch.settings"
    import django

    django.setup()
    from despatch import worker
    from despatch.services import orders, sourcing
    from tests.conftest import make_draft

    time.sleep(max(0.0, start_at - time.time()))
    if mode == "webhook":
        from pathlib import Path

        from despatch.integrations.channels.base import sign_base64
        from despatch.services import channels

        code, delivery_id, path = sys.argv[4], sys.argv[5], Path(sys.argv[6])
        body = path.read_bytes()
        secret = channels.get_channel(code).webhook_secret
        headers = {
            "x-shopify-webhook-id": delivery_id,
            "x-shopify-topic": "orders/updated",
            "x-shopify-hmac-sha256": sign_base64(secret, body),
        }
        delivery, new = channels.receive_delivery(code, headers, body)
        worker.drain(f"race-{os.getpid()}")
        print(json.dumps({"delivery": delivery.pk, "new": new}))
        return
    if mode == "process":
        from despatch.services import channels

        delivery = channels.process_delivery(int(sys.argv[4]))
        print(json.dumps({"delivery": delivery.pk, "outcome": delivery.outcome}))
        return
    if mode == "resolve":
        from despatch.domain.errors import DomainError
        from despatch.services import resolutions

        case_id, action, who = sys.argv[4], sys.argv[5], sys.argv[6]
        try:
            resolutions.resolve(case_id, action, actor=f"user:{who}")
            print(json.dumps({"ok": True}))
        except DomainError as error:
            print(json.dumps({"ok": False, "code": error.code, "detail": error.detail}))
        return
    if mode == "payment":
        from datetime import UTC, datetime

        from despatch.domain.orders import PaymentStatus
        from despatch.domain.payments import OrderRef, PaymentNotice
        from despatch.services import payments

        order_id, event_id = sys.argv[4], sys.argv[5]
        notice = PaymentNotice(
            "stripe",
            event_id,
            "payment_intent.succeeded",
            PaymentStatus.PAID,
            datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
            OrderRef(order_id=order_id),
        )
        print(json.dumps({"outcome": payments.apply(notice).outcome}))
        return
    if mode == "escalate":
        from despatch.services import exceptions

        print(json.dumps({"escalated": exceptions.escalate_due()}))
        return
    if mode == "audit":
        from django.db import transaction

        from despatch.services.audit import Trail

        who, count = sys.argv[4], int(sys.argv[5])
        for n in range(count):
            with transaction.atomic():
                trail = Trail(f"race:{who}")
                trail.add("race", f"{who}-{n}", "first", n=n)
                trail.add("race", f"{who}-{n}", "second", after={"n": n, "f": n / 7})
                trail.save()
        print(json.dumps({"written": count * 2}))
        return
    if mode == "drain":
        stats = worker.drain(f"race-{os.getpid()}", batch=5)
        print(json.dumps({"handled": stats.handled_ids}))
        return
    seed, count = int(sys.argv[4]), int(sys.argv[5])
    rng = random.Random(seed)
    created = []
    for n in range(count):
        lines = [
            (sku, rng.randint(1, 2))
            for sku in rng.sample(["HOT1", "HOT2", "HOT3"], rng.randint(1, 2))
        ]
        order, _ = orders.receive_order(
            make_draft(lines, channel="race", external_id=f"R{seed}-{n}"), actor="race"
        )
        sourcing.process_received(order.id)
        created.append(order.id)
    print(json.dumps({"created": created}))


if __name__ == "__main__":
    main()
