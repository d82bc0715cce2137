"""The channel inbox: every webhook delivery and imported payload, stored raw before anything
else happens, so nothing a channel sent is ever lost."""

from django.db import models


class ChannelDelivery(models.Model):
    PENDING, PROCESSED, FAILED = "pending", "processed", "failed"
    DUPLICATE = "duplicate"  # the same delivery ID again: kept to be seen, never applied

    channel = models.ForeignKey("despatch.Channel", on_delete=models.PROTECT)
    delivery_id = models.CharField(max_length=128, help_text="the platform's delivery ID")
    event_id = models.CharField(max_length=128, blank=True, default="")
    topic = models.CharField(max_length=64, blank=True, default="")
    source = models.CharField(max_length=16, default="webhook")  # webhook, file, pull
    headers = models.JSONField(default=dict)
    body = models.TextField(help_text="the body as text (UTF-8, unreadable bytes replaced)")
    raw_body = models.BinaryField(null=True, help_text="the body exactly as the bytes received")
    applied_event = models.CharField(
        max_length=128,
        null=True,
        blank=True,
        default=None,
        help_text="the event ID this delivery applied: unique per channel, so an event "
        "applies once",
    )
    status = models.CharField(max_length=12, default=PENDING)
    outcome = models.CharField(max_length=32, blank=True, default="")
    order_id = models.CharField(max_length=40, blank=True, default="")
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    repeats = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,  # deliveries are never deleted
        db_constraint=False,  # no key-share lock on the original while a worker applies it
        related_name="repeated_by",
        help_text="the delivery this one repeated (a duplicate, or an event applied already)",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "delivery_id"],
                condition=models.Q(repeats__isnull=True),
                name="delivery_once_per_channel",
            ),
            models.UniqueConstraint(
                fields=["channel", "applied_event"], name="event_applied_once_per_channel"
            ),
        ]
        indexes = [models.Index(fields=["channel", "event_id"], name="delivery_event")]


class ChannelListing(models.Model):
    """A SKU a channel sells, and what Despatch last published to it.

    Stock changes mark listings dirty (``version`` goes up); the pusher publishes the current
    figure and clears ``dirty`` only if no change came in meanwhile, so bursts coalesce."""

    channel = models.ForeignKey("despatch.Channel", on_delete=models.CASCADE)
    sku = models.ForeignKey("despatch.Sku", on_delete=models.CASCADE)
    listing_id = models.CharField(
        max_length=128, blank=True, default="", help_text="the platform's ID, where it needs one"
    )
    published = models.IntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    dirty = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["channel_id", "sku_id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "sku"], name="listing_once_per_channel")
        ]
        indexes = [models.Index(fields=["dirty", "channel"], name="listing_dirty")]


class Lease(models.Model):
    """One holder at a time for a periodic job (pulling or pushing one channel)."""

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=150)
    until = models.DateTimeField()
