"""Payment notices as received from payment providers, each once."""

from django.db import models


class PaymentEvent(models.Model):
    APPLIED, STALE, NO_ORDER = "applied", "stale", "no_order"

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    kind = models.CharField(max_length=64)
    order = models.ForeignKey(
        "despatch.Order",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="payment_events",
    )
    order_ref = models.CharField(max_length=200)
    status = models.CharField(max_length=24)
    amount = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    reference = models.CharField(max_length=128, blank=True, default="")
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=16)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payment_event_once")
        ]
