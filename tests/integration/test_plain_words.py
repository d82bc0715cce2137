"""What the set-up pages show a person: roles and notification templates in words, not their
codes (the codes stay only in form values and link addresses, where the server reads them)."""

import html
import re

import pytest
from django.utils import timezone

from despatch.models import NotificationTemplate
from despatch.services import tokens

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
