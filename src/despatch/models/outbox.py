"""The transactional outbox: events written with the change, drained by workers."""

from django.db import models


class OutboxEvent(models.Model):
    PENDING, DONE, DEAD = "pending", "done", "dead"

    topic = models.CharField(max_length=64)
    key = models.CharField(max_length=64, blank=True, default="", help_text="e.g. the order ID")
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=8, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField()
    locked_by = models.CharField(max_length=64, blank=True, default="")
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "available_at"], name="outbox_due")]
