"""The channel inbox: every webhook delivery and imported payload, stored raw before anything
else happens, so nothing a channel sent is ever lost."""

from django.db import models


class ChannelDelivery(models.Model):
    PENDING, PROCESSED, FAILED = "pending", "processed", "failed"

    channel = models.ForeignKey("despatch.Channel", on_delete=models.PROTECT)
    delivery_id = models.CharField(max_length=128, help_text="the platform's delivery ID")
    event_id = models.CharField(max_length=128, blank=True, default="")
    topic = models.CharField(max_length=64, blank=True, default="")
    source = models.CharField(max_length=16, default="webhook")  # webhook, file, pull
    headers = models.JSONField(default=dict)
    body = models.TextField()
    status = models.CharField(max_length=12, default=PENDING)
    outcome = models.CharField(max_length=32, blank=True, default="")
    order_id = models.CharField(max_length=40, blank=True, default="")
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "delivery_id"], name="delivery_once_per_channel"
            )
        ]
        indexes = [models.Index(fields=["channel", "event_id"], name="delivery_event")]
