"""Set-up in the browser: notification templates per channel and language, with a preview
rendered with a sample order; an override is what the next message uses."""

import html
import re

import pytest

from despatch import worker
from despatch.models import AuditEntry, NotificationTemplate
from despatch.services import channels, notifications, orders, tokens
from tests.conftest import make_draft

MANAGER = ("olga", "run-the-floor-2026")
URL = "/setup/notifications/confirmed/"
OURS = "{% set subject %}Thanks from Shop, {{ order.customer_name }}{% endset %}\nWe have it.\n"


@pytest.fixture
def manager(shop, client):
    channels.configure_channel(code="shop", name="Shop", type="api", actor="t")
    order, _ = orders.receive_order(
        make_draft([("A", 1)], channel="shop", external_id="n-1"), actor="t"
    )
    worker.drain("t")
    tokens.ensure_user(*MANAGER, roles=("ops_manager",))
    assert client.login(username=MANAGER[0], password=MANAGER[1])
    client.order = order
    return client


def field_error(answer, name: str) -> str:
    assert answer.status_code == 422
    return html.unescape(re.search(rf'id="{name}-error">([^<]+)<', answer.content.decode())[1])


def test_the_built_in_template_is_shown_with_a_preview(manager):
    assert b'href="/setup/notifications/confirmed/"' in manager.get("/setup/notifications/").content
    page = manager.get(URL, {"channel": "shop"}).content.decode()
    assert "default/confirmed.txt" in page  # where it comes from
    assert manager.order.external_id in re.search(r'id="preview">(.*?)</section>', page, re.S)[1]


def test_an_override_for_a_channel_is_saved_audited_and_used_by_the_next_message(manager):
    where = {"channel": "shop", "language": "", "kind": "txt"}
    preview = manager.post(URL, where | {"action": "preview", "source": OURS})
    assert preview.status_code == 200 and "Thanks from Shop" in preview.content.decode()
    assert not NotificationTemplate.objects.exists()  # a preview stores nothing
    manager.post(URL, where | {"action": "save", "source": OURS})
    assert NotificationTemplate.objects.get(name="shop/confirmed.txt").updated_by == "user:olga"
    entry = AuditEntry.objects.filter(action="notification_template_created").latest("seq")
    assert entry.actor == "user:olga" and entry.subject_id == "shop/confirmed.txt"
    rendered = notifications.preview("confirmed", manager.order.id)
    assert rendered.subject.startswith("Thanks from Shop") and rendered.text == "We have it.\n"

    manager.post(URL, where | {"action": "reset"})
    assert not NotificationTemplate.objects.exists()
    assert "Thanks from Shop" not in notifications.preview("confirmed", manager.order.id).subject


def test_a_broken_or_escaping_template_is_refused_naming_the_problem(manager):
    where = {"channel": "", "language": "fr", "kind": "txt", "action": "save"}
    broken = manager.post(URL, where | {"source": "Hello {% if order %}"})
    assert "line 1" in field_error(broken, "source")
    sneak = "{{ order.__class__.__mro__ }}[end]"
    escape = manager.post(URL, where | {"action": "preview", "source": sneak})
    shown = re.search(r'id="preview">(.*?)</section>', escape.content.decode(), re.S)[1]
    assert ">[end]\n</pre>" in shown  # the sandbox gives nothing away
    call = manager.post(URL, where | {"source": "{{ ''.__class__.__subclasses__() }}"})
    assert "cannot render" in field_error(call, "source")
    bad_language = manager.post(URL, where | {"language": "French!", "source": OURS})
    assert bad_language.status_code == 422 and b"a language code such as fr" in bad_language.content
    assert not NotificationTemplate.objects.exists()


def test_a_support_agent_may_not_change_templates(shop, client):
    tokens.ensure_user("sue", "support-desk-1", roles=("support", "order_ops"))
    client.login(username="sue", password="support-desk-1")
    assert client.get("/setup/notifications/").status_code == 403
    answer = client.post(URL, {"action": "save", "source": OURS})
    assert answer.status_code == 403 and not NotificationTemplate.objects.exists()


def test_a_cancellation_without_a_reason_says_none_rather_than_none(manager):
    rendered = notifications.preview("cancelled", manager.order.id)
    assert "None" not in rendered.text and "Reason:" not in rendered.text
    assert f"{manager.order.external_id} was cancelled.\n" in rendered.text
