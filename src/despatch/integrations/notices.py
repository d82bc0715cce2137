"""Rendering notifications from Jinja2 templates (HTML and plain text, per channel and language).

Templates live in ``integrations/templates/notifications`` and, when set, in the folder named
by ``DESPATCH_NOTIFICATION_TEMPLATES`` (searched first, so a seller overrides any file). A
template is looked up as ``<channel>/<event>.<lang>.txt``, ``<channel>/<event>.txt``,
``default/<event>.<lang>.txt``, ``default/<event>.txt`` (and the same for ``.html`` and
``.sms.txt``). The text template sets the subject with ``{% set subject %}…{% endset %}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from despatch.config import current as configuration
from despatch.domain.errors import ValidationFailed
from despatch.domain.notifications import template_names
from despatch.models import NotificationTemplate

BUILT_IN = Path(__file__).parent / "templates" / "notifications"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str  # the language of the template used ("" for the default)


def _stored(name: str) -> str | None:
    """The source of an override written in the set-up pages, if there is one."""
    return NotificationTemplate.objects.filter(name=name).values_list("source", flat=True).first()


class _Loader(jinja2.BaseLoader):
    """Overrides stored in the database first, then the files; a cached template is read again
    when an override of its name appears, changes or goes."""

    def __init__(self, folders: list[str]) -> None:
        self.files = jinja2.FileSystemLoader(folders)

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool]]:
        stored = _stored(template)
        if stored is not None:
            return stored, None, lambda: _stored(template) == stored
        text, filename, fresh = self.files.get_source(environment, template)
        return text, filename, lambda: fresh() and _stored(template) is None

    def list_templates(self) -> list[str]:
        names = NotificationTemplate.objects.values_list("name", flat=True)
        return sorted({*self.files.list_templates(), *names})


@lru_cache(maxsize=8)
def _environment(extra: str) -> jinja2.Environment:
    folders = [extra, str(BUILT_IN)] if extra else [str(BUILT_IN)]
    return SandboxedEnvironment(  # templates are written in the browser: no attribute escapes
        loader=_Loader(folders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def environment() -> jinja2.Environment:
    return _environment(str(configuration().notification_templates or ""))


def _pick(template: str, brand: str, language: str, suffix: str) -> jinja2.Template | None:
    try:
        return environment().select_template(template_names(template, brand, language, suffix))
    except jinja2.TemplatesNotFound:
        return None


def _language_of(tmpl: jinja2.Template) -> str:
    parts = (tmpl.name or "").split("/")[-1].split(".")
    return parts[1] if len(parts) > 2 and parts[1] not in ("sms",) else ""


def render(template: str, brand: str, language: str, context: dict[str, Any]) -> Rendered | None:
    """The email for ``template``, or None when no text template exists for it."""
    text_tmpl = _pick(template, brand, language, "txt")
    if text_tmpl is None:
        return None
    try:
        text = text_tmpl.render(context)
        subject = str(getattr(text_tmpl.make_module(context), "subject", "")).strip()
        html_tmpl = _pick(template, brand, language, "html")
        html = html_tmpl.render({**context, "subject": subject}) if html_tmpl else ""
    except jinja2.TemplateError as exc:
        raise ValidationFailed.single(
            f"template {text_tmpl.name}", f"cannot render: {exc}", "template_error"
        ) from exc
    return Rendered(subject or template, text.strip() + "\n", html, _language_of(text_tmpl))


def render_sms(template: str, brand: str, language: str, context: dict[str, Any]) -> str | None:
    tmpl = _pick(template, brand, language, "sms.txt")
    return tmpl.render(context).strip() if tmpl else None


def check_all() -> list[str]:
    """Every template that does not parse, named with its error (for ``notifications check``)."""
    env = environment()
    problems = []
    for name in env.list_templates(extensions=["txt", "html"]):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(f"{name}: line {exc.lineno}: {exc.message}")
    return problems


def source(name: str) -> str | None:
    """The source of the template ``name`` (an override or a file), or None."""
    try:
        env = environment()
        return env.loader.get_source(env, name)[0] if env.loader else None
    except jinja2.TemplateNotFound:
        return None


def check_source(text: str) -> None:
    """A template that does not parse is a field error naming the line."""
    try:
        environment().parse(text)
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationFailed.single(
            "source", f"line {exc.lineno}: {exc.message}", "template_error"
        ) from None


def render_draft(text: str, kind: str, context: dict[str, Any]) -> Rendered:
    """A template not stored yet, rendered as a message of its kind (txt, html, sms.txt)."""
    try:
        tmpl = environment().from_string(text)
        body = tmpl.render(context)
        subject = str(getattr(tmpl.make_module(context), "subject", "")).strip()
    except jinja2.TemplateError as exc:
        raise ValidationFailed.single("source", f"cannot render: {exc}", "template_error") from exc
    if kind == "html":
        return Rendered(subject, "", body, "")
    return Rendered(subject, body.strip() + "\n", "", "")
