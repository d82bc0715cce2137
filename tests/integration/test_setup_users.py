"""Set-up in the browser: users, roles and API tokens, as the ops manager changes them (and as
nobody else may)."""

import re

import pytest
from django.contrib.auth.models import User

from despatch.models import ApiToken, AuditEntry
from despatch.services import tokens

MANAGER = ("olga", "run-the-floor-2026")


@pytest.fixture
def manager(db, client):
    tokens.ensure_user(*MANAGER, roles=("ops_manager",))
    assert client.login(username=MANAGER[0], password=MANAGER[1])
    return client


def audited(action: str, subject: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action, subject_id=subject).order_by("-seq").first()
    assert entry is not None, f"no {action} for {subject}"
    assert entry.actor == "user:olga"
    return entry


def test_the_manager_adds_a_user_with_roles_who_can_then_sign_in(manager, client):
    page = manager.get("/setup/users/")
    assert page.status_code == 200 and b"Add a user" in page.content
    added = manager.post(
        "/setup/users/",
        {"username": "priya", "password": "boxes-and-tape-9", "roles": ["picker", "packer"]},
        follow=True,
    )
    assert added.status_code == 200
    assert "user priya added" in added.content.decode()
    user = User.objects.get(username="priya")
    assert sorted(user.groups.values_list("name", flat=True)) == ["packer", "picker"]
    assert audited("user_created", "priya").after["roles"] == ["packer", "picker"]
    client.logout()
    assert client.login(username="priya", password="boxes-and-tape-9")


def test_a_weak_password_or_a_taken_name_is_said_next_to_its_field(manager):
    weak = manager.post("/setup/users/", {"username": "sam", "password": "12345678"})
    assert weak.status_code == 422
    html = weak.content.decode()
    error = re.search(r'id="password-error">([^<]+)<', html).group(1)
    assert "too common" in error and "entirely numeric" in error
    assert 'value="sam"' in html  # the form keeps what was typed
    assert not User.objects.filter(username="sam").exists()
    taken = manager.post("/setup/users/", {"username": "olga", "password": "Another-pass-77"})
    assert taken.status_code == 422
    assert "already exists" in re.search(r'id="username-error">([^<]+)<', taken.content.decode())[1]
    bad = manager.post("/setup/users/", {"username": "a b", "password": "Another-pass-77"})
    assert bad.status_code == 422 and b"letters, digits and @ . + - _ only" in bad.content


def test_roles_password_limits_and_deactivation_are_changed_and_audited(manager, client):
    tokens.ensure_user("pat", "first-pass-123", roles=("picker",))
    url = "/setup/users/pat/"
    assert manager.get(url).status_code == 200
    manager.post(url, {"action": "roles", "roles": ["support"]})
    assert list(User.objects.get(username="pat").groups.values_list("name", flat=True)) == [
        "support"
    ]
    entry = audited("user_roles_changed", "pat")
    assert entry.before == {"roles": ["picker"]} and entry.after == {"roles": ["support"]}

    weak = manager.post(url, {"action": "password", "password": "pat"})
    assert weak.status_code == 422 and b'id="password-error"' in weak.content
    manager.post(url, {"action": "password", "password": "second-pass-456"})
    assert audited("password_reset", "pat").after == {"password": "***"}

    wrong = manager.post(url, {"action": "limits", "refund_limit": "lots", "scope": ""})
    assert wrong.status_code == 422 and b"is not an amount" in wrong.content
    unknown = manager.post(url, {"action": "limits", "refund_limit": "", "scope": "warehouse:XX"})
    assert unknown.status_code == 422 and b"no such warehouse: XX" in unknown.content
    manager.post(url, {"action": "limits", "refund_limit": "75.50", "scope": ""})
    assert audited("user_limits_changed", "pat").after["refund_limit"] == "75.50"

    manager.post(url, {"action": "deactivate"})
    assert not User.objects.get(username="pat").is_active
    assert audited("user_deactivated", "pat").after == {"active": False}
    client.logout()
    assert not client.login(username="pat", password="second-pass-456")


def test_the_manager_cannot_deactivate_themselves(manager):
    refused = manager.post("/setup/users/olga/", {"action": "deactivate"})
    assert refused.status_code == 422 and b"you cannot deactivate yourself" in refused.content
    assert User.objects.get(username="olga").is_active


def test_the_role_table_lists_every_permission(manager):
    page = manager.get("/setup/roles/").content.decode()
    assert (
        "<code>users.manage</code>" in page and '<th title="ops_manager">Ops manager</th>' in page
    )


def test_a_token_is_shown_once_works_and_is_revoked(manager, client):
    issued = manager.post(
        "/setup/tokens/",
        {"username": "olga", "name": "shop sync", "scope": "channel:shop", "expires": "90d"},
    )
    assert issued.status_code == 200
    token = re.search(r'<code class="secret">(dsp_[^<]+)</code>', issued.content.decode())[1]
    row = ApiToken.objects.get(name="shop sync")
    assert row.scopes == ["channel:shop"] and row.expires_at is not None
    assert token not in manager.get("/setup/tokens/").content.decode()  # never again
    assert audited("token_created", str(row.pk)).after["prefix"] == token[:12]
    assert client.get("/api/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    bad = manager.post("/setup/tokens/", {"username": "olga", "expires": "forever"})
    assert bad.status_code == 422 and b"is not a lifetime such as 90d" in bad.content

    manager.post(f"/setup/tokens/{row.pk}/revoke/")
    assert audited("token_revoked", str(row.pk))
    assert client.get("/api/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


@pytest.mark.parametrize(
    "url", ["/setup/", "/setup/users/", "/setup/users/olga/", "/setup/roles/", "/setup/tokens/"]
)
def test_anyone_but_a_manager_is_refused(db, client, url):
    tokens.ensure_user(*MANAGER, roles=("ops_manager",))
    tokens.ensure_user("sue", "support-desk-1", roles=("support", "order_ops"))
    client.login(username="sue", password="support-desk-1")
    assert client.get(url).status_code == 403
    assert client.post(url, {"username": "evil", "password": "Whatever-123"}).status_code == 403
    assert not User.objects.filter(username="evil").exists()


def test_the_navigation_shows_set_up_to_the_manager_only(manager, client):
    assert b'href="/setup/"' in manager.get("/").content
    tokens.ensure_user("sue", "support-desk-1", roles=("support",))
    client.logout()
    client.login(username="sue", password="support-desk-1")
    assert b'href="/setup/"' not in client.get("/").content
