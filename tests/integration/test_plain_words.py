"""What the pages and exports show a person: roles, notification templates, kinds, statuses,
times, days and money in words, not their codes (the codes stay in form values and link
addresses, where the server reads them, and in CSV columns of their own for filters)."""

import csv
import html
import importlib
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from despatch import worker
from despatch.models import NotificationTemplate, Order
from despatch.services import inbox_query, kpis, notifications, orders, tokens
from despatch.web import dashboard
from tests.conftest import make_draft

MANAGER = ("olga", "run-the-floor-2026")


def seen(answer) -> str:
    """The page's text as a person reads it: no tags, so no attribute values."""
    assert answer.status_code == 200
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", answer.content.decode(), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture
def manager(db, client):
    tokens.ensure_user(*MANAGER, roles=("ops_manager",))
    tokens.ensure_user("sue", "support-desk-1", roles=("support", "order_ops"))
    assert client.login(username=MANAGER[0], password=MANAGER[1])
    return client


@pytest.mark.parametrize("url", ["/setup/users/", "/setup/users/sue/", "/setup/roles/"])
def test_roles_are_named_in_words(manager, url):
    text = seen(manager.get(url))
    assert "Ops manager" in text and "Order ops" in text and "Support" in text
    assert "ops_manager" not in text and "order_ops" not in text


def test_the_users_list_says_each_persons_roles_in_words(manager):
    row = re.search(r"sue .*?(?=olga|$)", seen(manager.get("/setup/users/")))[0]
    assert "Support, Order ops" in row or "Order ops, Support" in row


def test_notification_templates_and_kinds_are_named_in_words(manager):
    NotificationTemplate.objects.create(
        name="shop/out_for_delivery.fr.sms.txt",
        source="Bientôt",
        updated_by="user:olga",
        updated_at=timezone.now(),
    )
    listing = seen(manager.get("/setup/notifications/"))
    assert "Out for delivery" in listing and "Exception opened (to staff)" in listing
    assert "Out for delivery: text message, channel shop, language fr" in listing
    assert "out_for_delivery" not in listing and "exception_opened" not in listing
    one = seen(manager.get("/setup/notifications/out_for_delivery/?kind=sms.txt"))
    assert "Out for delivery" in one.split("file", 1)[0]
    assert "Email, plain text" in one and "Text message" in one
    assert "sms.txt" not in one.split("file", 1)[0]


def test_the_exceptions_export_keeps_the_codes_and_says_them_in_words(shop, manager):
    order = orders.receive_order(make_draft([("NOPE", 1)]), actor="t")[0]
    worker.drain("t")
    rows = list(csv.DictReader(io.StringIO(manager.get("/exceptions/export.csv").content.decode())))
    (row,) = [r for r in rows if r["order_number"] == order.external_id]
    assert (row["kind"], row["status"]) == ("unknown_sku", "open")  # for a spreadsheet filter
    assert (row["kind_in_words"], row["status_in_words"]) == ("Unknown SKU", "Open")


def test_the_kpis_export_says_its_period_to_the_second_with_the_zone(manager):
    rows = list(csv.DictReader(io.StringIO(manager.get("/kpis.csv").content.decode())))
    to_the_second = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
    assert rows and all(to_the_second.fullmatch(r["from"]) for r in rows), rows[0]
    assert all(to_the_second.fullmatch(r["to"]) for r in rows), rows[0]
    assert datetime.fromisoformat(rows[0]["to"]) <= timezone.now()


def test_the_customer_email_says_the_promised_day_as_the_pages_do(shop):
    order = orders.receive_order(make_draft([("A", 1)]), actor="t")[0]
    Order.objects.filter(id=order.id).update(promise_date=date(2026, 3, 6))
    text = notifications.preview("confirmed", order.id).text
    assert "reach you by Fri 6 Mar 2026." in text and "06 Mar" not in text


def test_dashboard_days_say_their_year_where_the_fortnight_crosses_new_year(db):
    dash = kpis.dashboard(now=datetime(2027, 1, 5, 12, tzinfo=UTC))
    bars, line = dashboard._trend(dash, {}), dashboard._trend_rate(dash, {})
    shown = [t.text for t in bars.labels] + [t.text for t in line.labels]
    assert "1 Jan 2027" in shown and any(s.endswith(" Dec 2026") for s in shown), shown
    titles = [m.title for m in bars.marks] + [m.title for m in line.dots]
    assert any(t.startswith("Fri 1 Jan 2027: ") for t in titles), titles[:3]


@pytest.mark.parametrize("sort", ["status", "-status"])
def test_sorting_the_inbox_by_status_reads_the_status_index(db, sort):
    flow = importlib.import_module("despatch.migrations.0040_inbox_status_sort").FLOW
    assert flow == inbox_query.flow_sql('"status"')  # the index is still of the sort's expression
    rows = inbox_query.search(inbox_query.OrderQuery(sort=sort)).values_list("id", flat=True)
    sql, params = rows[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a few rows: make a scan the dearer plan
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "order_status_flow" in plan and "TEMP B-TREE" not in plan, plan


def test_a_refund_limit_says_which_currency_it_counts_in(manager):
    tokens.set_limits("sue", refund_limit=Decimal("50"))
    row = re.search(r"sue .*?(?=olga|$)", seen(manager.get("/setup/users/")))[0]
    assert "refunds up to 50.00 in the refund's own currency" in row


def test_one_status_sorted_by_status_is_read_on_the_status_index(db):
    rows = inbox_query.search(inbox_query.OrderQuery(status="allocated", sort="-status"))
    sql, _ = rows.values_list("id", flat=True)[:51].query.sql_with_params()
    assert "CASE" not in sql.split("ORDER BY", 1)[1]  # newest first, as all are alike
