"""What people keep on orders: their saved inbox views, and notes written on an order."""

from django.conf import settings
from django.db import models


class SavedView(models.Model):
    """A user's named inbox filter and sort, e.g. "Late UK Prime"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000, help_text="the inbox's query string")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_view_name_per_user")
        ]


class OrderNote(models.Model):
    """A person's note on an order (also in the order's audit trail)."""

    id = models.CharField(max_length=40, primary_key=True)
    order = models.ForeignKey("despatch.Order", on_delete=models.CASCADE, related_name="notes")
    author = models.CharField(max_length=150)
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
