"""Set-up: customer and staff notification templates, per channel and language, with a preview
rendered with a sample order (nothing is sent)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from despatch.services import catalogue, template_setup
from despatch.web.access import requires
from despatch.web.setup.forms import Outcome, actor, attempt, page, text

FIELDS = ("template", "channel", "language", "kind", "source")


@requires("notifications.manage")
def template_list(request: HttpRequest) -> HttpResponse:
    """Every template and the overrides written here."""
    rows = list(template_setup.overrides().items())
    return page(request, "despatch/setup/notifications.html", {"rows": rows})


def _where(request: HttpRequest, template: str) -> template_setup.Where:
    source = request.POST if request.method == "POST" else request.GET
    return template_setup.Where(
        template,
        str(source.get("channel", "")).strip(),
        str(source.get("language", "")).strip().lower(),
        str(source.get("kind", "")).strip() or "txt",
    )


@requires("notifications.manage")
def template_edit(request: HttpRequest, template: str) -> HttpResponse:
    """One template for a channel, language and kind: its source, a preview, save or reset."""
    if template not in template_setup.TEMPLATES:
        raise Http404(f"no template {template!r}")
    where, outcome, draft = _where(request, template), Outcome(), None
    action = text(request, "action") if request.method == "POST" else ""
    if action in ("save", "reset"):
        by, typed = actor(request), text(request, "source")

        def change() -> bool:
            if action == "save":
                template_setup.save_template(where, typed, actor=by)
            else:
                template_setup.reset_template(where, actor=by)
            return True

        if attempt(change, outcome, FIELDS):
            messages.success(request, f"{where.name} {'saved' if action == 'save' else 'reset'}")
            query = f"?channel={where.channel}&language={where.language}&kind={where.kind}"
            return redirect(reverse("setup-notification", args=[template]) + query)
    if request.method == "POST":
        draft = request.POST.get("source", "")
    attempt(lambda: template_setup.check_where(where), outcome, FIELDS)
    source, origin = template_setup.current_source(where) if not outcome.failed else ("", "")
    rendered = None
    if not outcome.failed:
        rendered = attempt(lambda: template_setup.preview(where, draft), outcome, into="source")
    context = {
        "template": template,
        "where": where,
        "source": draft if draft is not None else source,
        "origin": origin,
        "overridden": origin == where.name and origin in template_setup.overrides()[template],
        "rendered": rendered,
        "channels": [c.code for c in catalogue.channels()],
        "kinds": template_setup.KINDS,
        "no_order": template_setup.sample_order() is None,
    }
    return page(request, "despatch/setup/notification.html", context, outcome)
