"""Saved views: a user's named inbox filters and sort ("Late UK Prime"), kept per user. The
query is read as the inbox reads it (services/inbox_query.py) before it is kept, so a saved
view always opens. Saving, changing and deleting one is audited (``saved_view_created``,
``saved_view_changed``, ``saved_view_deleted``: its name and query) by whoever did it."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from despatch.domain.errors import Conflict, NotFound, ValidationFailed
from despatch.models import SavedView
from despatch.services.audit import Trail
from despatch.services.inbox_query import OrderQuery

MAX_VIEWS = 50


def views_of(user_id: int) -> list[SavedView]:
    return list(SavedView.objects.filter(user_id=user_id))


def _audit(
    actor: str, view: SavedView, before: dict[str, str] | None, after: dict[str, str] | None
) -> None:
    trail = Trail(actor)
    trail.change("saved_view", str(view.id), before, after, user_id=view.user_id)
    trail.save()


def save_view(user_id: int, name: str, params: dict[str, str], *, actor: str) -> SavedView:
    """Keep the inbox's current filters and sort under ``name``; saving a name again replaces
    what it keeps."""
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise ValidationFailed.single("name", "give the view a name of 1 to 80 characters")
    query = OrderQuery.parse(params).as_query()
    with transaction.atomic():
        found = SavedView.objects.select_for_update().filter(user_id=user_id, name=name).first()
        if found is not None:
            before = {"name": found.name, "query": found.query}
            found.query = query
            found.save(update_fields=["query"])
            _audit(actor, found, before, {"name": name, "query": query})
            return found
        if SavedView.objects.filter(user_id=user_id).count() >= MAX_VIEWS:
            raise Conflict(f"you keep {MAX_VIEWS} views already: delete one first")
        try:
            with transaction.atomic():
                view = SavedView.objects.create(
                    user_id=user_id, name=name, query=query, created_at=timezone.now()
                )
        except IntegrityError:  # saved twice at once: the other one won
            raise Conflict(f"a view named {name!r} was saved at the same time") from None
        _audit(actor, view, None, {"name": name, "query": query})
        return view


def delete_view(user_id: int, view_id: int, *, actor: str) -> None:
    with transaction.atomic():
        view = SavedView.objects.select_for_update().filter(user_id=user_id, id=view_id).first()
        if view is None:
            raise NotFound("saved view", str(view_id))
        _audit(actor, view, {"name": view.name, "query": view.query}, None)
        view.delete()
