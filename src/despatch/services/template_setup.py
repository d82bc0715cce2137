"""Notification templates written in the set-up pages: an override is stored under the name of
the file it takes the place of (``<channel>/<template>.<lang>.<kind>``, ``default/…`` for every
channel) and is found before the files wherever templates are looked up
(integrations/notices.py). Saved only if it parses and renders with a sample order; rendered in
Jinja2's sandbox. Audited: the source before -> after."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from despatch.domain.errors import FieldError, NotFound, ValidationFailed
from despatch.domain.notifications import CUSTOMER_TEMPLATES, STAFF_TEMPLATES, template_names
from despatch.integrations import notices
from despatch.models import Channel, NotificationTemplate, Order
from despatch.services import notifications
from despatch.services.audit import Trail

TEMPLATES = (*CUSTOMER_TEMPLATES, *STAFF_TEMPLATES)
KINDS = ("txt", "html", "sms.txt")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")


@dataclass(frozen=True)
class Where:
    """Which override: the template, the channel ('' for every channel), language, kind."""

    template: str
    channel: str = ""
    language: str = ""
    kind: str = "txt"

    @property
    def name(self) -> str:
        folder = self.channel or "default"
        lang = f".{self.language}" if self.language else ""
        return f"{folder}/{self.template}{lang}.{self.kind}"


def check_where(where: Where) -> None:
    errors = []
    if where.template not in TEMPLATES:
        errors.append(FieldError("template", f"{where.template!r} is not a template", "template"))
    if where.channel and not Channel.objects.filter(code=where.channel).exists():
        errors.append(FieldError("channel", f"no channel {where.channel!r}", "unknown_channel"))
    if where.language and not LANGUAGE.fullmatch(where.language):
        errors.append(FieldError("language", "a language code such as fr or pt-br", "language"))
    if where.kind not in KINDS:
        errors.append(FieldError("kind", f"one of {', '.join(KINDS)}", "kind"))
    if errors:
        raise ValidationFailed(errors)


def overrides() -> dict[str, list[str]]:
    """The stored overrides of each template, by name."""
    found: dict[str, list[str]] = {t: [] for t in TEMPLATES}
    for name in NotificationTemplate.objects.order_by("name").values_list("name", flat=True):
        template = name.split("/", 1)[-1].split(".", 1)[0]
        found.setdefault(template, []).append(name)
    return found


def current_source(where: Where) -> tuple[str, str]:
    """(source, where it comes from) of the template a message for ``where`` would use."""
    suffix = where.kind
    names = template_names(where.template, where.channel, where.language, suffix)
    for name in names:
        source = notices.source(name)
        if source is not None:
            return source, name
    return "", ""


def sample_order(channel: str = "") -> Order | None:
    rows = Order.objects.order_by("-created_at")
    return (rows.filter(channel=channel).first() if channel else None) or rows.first()


def preview(where: Where, source: str | None = None) -> notices.Rendered | None:
    """The message for ``where`` rendered with a sample order, with ``source`` (a draft) in
    place of the stored template; None when there is no order to render with yet."""
    order = sample_order(where.channel)
    if order is None:
        return None
    context = notifications.preview_context(order)
    if source is None:
        return notices.render(where.template, where.channel, where.language, context)
    return notices.render_draft(source, where.kind, context)


def save_template(where: Where, source: str, *, actor: str) -> NotificationTemplate:
    check_where(where)
    if not source.strip():
        raise ValidationFailed.single("source", "is empty: reset instead", "required")
    notices.check_source(source)  # a syntax error, named with its line
    preview(where, source)  # renders with a sample order, or names what fails
    with transaction.atomic():
        old = NotificationTemplate.objects.select_for_update().filter(name=where.name).first()
        before = {"source": old.source} if old else None
        row, _ = NotificationTemplate.objects.update_or_create(
            name=where.name,
            defaults={"source": source, "updated_at": timezone.now(), "updated_by": actor},
        )
        trail = Trail(actor)
        trail.change("notification_template", where.name, before, {"source": source})
        trail.save()
    return row


def reset_template(where: Where, *, actor: str) -> None:
    """Remove the override: the file (or a less specific override) is used again."""
    with transaction.atomic():
        old = NotificationTemplate.objects.select_for_update().filter(name=where.name).first()
        if old is None:
            raise NotFound("template override", where.name)
        old.delete()
        trail = Trail(actor)
        trail.change("notification_template", where.name, {"source": old.source}, None)
        trail.save()
