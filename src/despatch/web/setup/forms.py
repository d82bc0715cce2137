"""What every set-up page shares: who acts, and a refused change as words next to its field."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from despatch.domain.errors import DomainError, Forbidden, ValidationFailed

T = TypeVar("T")


def actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


@dataclass
class Outcome:
    """A form's result: ``errors`` maps a field name to what is wrong with it (plain words);
    ``general`` holds what belongs to no one field."""

    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    forbidden: bool = False  # refused for want of a permission or reach: the page answers 403

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.general)

    def add(self, name: str, message: str) -> None:
        self.errors[name] = f"{self.errors[name]}; {message}" if name in self.errors else message


def attempt(
    call: Callable[[], T], outcome: Outcome, fields: tuple[str, ...] = (), into: str = ""
) -> T | None:
    """Run a service call; a refusal is recorded in ``outcome`` (by field where it names one
    of ``fields``, or all under ``into`` (a box holding a whole document), else in general)
    and None is returned."""
    try:
        return call()
    except ValidationFailed as exc:
        for error in exc.errors:
            name = error.field.split(".")[0].split("[")[0]
            words = error.message + (f" ({error.hint})" if error.hint else "")
            if into:
                outcome.add(into, f"{error.field}: {words}")
            elif name in fields:
                outcome.add(name, words)
            else:
                outcome.general.append(f"{error.field}: {words}")
    except DomainError as exc:
        outcome.forbidden = outcome.forbidden or isinstance(exc, Forbidden)
        name = into or str(exc.data.get("field", ""))
        if name in fields:
            outcome.add(name, exc.detail)
        else:
            outcome.general.append(exc.detail)
    return None


def page(
    request: HttpRequest, template: str, context: dict[str, Any], outcome: Outcome | None = None
) -> HttpResponse:
    """Render a set-up page; a refused change answers 422 with the form and its errors."""
    from despatch.web.setup.index import sections

    outcome = outcome or Outcome()
    shown = [(label, url) for label, url, _ in sections(request)]
    context = {**context, "errors": outcome.errors, "general": outcome.general, "setup_nav": shown}
    status = 403 if outcome.forbidden else 422 if outcome.failed else 200
    return render(request, template, context, status=status)


def text(request: HttpRequest, name: str) -> str:
    return str(request.POST.get(name, "")).strip()


def whole(request: HttpRequest, name: str, outcome: Outcome, default: int | None = None) -> int:
    """A whole number from the form (a minus sign allowed); a wrong one is a field error."""
    raw = text(request, name)
    if not raw and default is not None:
        return default
    if not raw.lstrip("-").isdigit() or len(raw) > 12:
        outcome.add(name, f"enter a whole number, e.g. 10 (not {raw!r})" if raw else "is required")
        return 0
    return int(raw)


def json_box(request: HttpRequest, name: str, outcome: Outcome) -> Any:
    """The JSON document typed in the box ``name``; a syntax error is a field error."""
    raw = text(request, name)
    try:
        return json.loads(raw or "{}")
    except ValueError as exc:
        outcome.add(name, f"not JSON: {exc}")
        return None
