"""Shipments: the part of an order leaving one warehouse."""

from django.db import models

from despatch.domain.shipments import ShipmentStatus


class Shipment(models.Model):
    id = models.CharField(max_length=40, primary_key=True)
    order = models.ForeignKey("despatch.Order", on_delete=models.CASCADE, related_name="shipments")
    warehouse = models.ForeignKey("despatch.Warehouse", on_delete=models.PROTECT)
    status = models.CharField(max_length=16, choices=[(s.value, s.value) for s in ShipmentStatus])
    carrier = models.CharField(max_length=64, blank=True, default="")
    tracking_number = models.CharField(max_length=64, blank=True, default="")
    service = models.CharField(max_length=64, blank=True, default="")
    weight_g = models.PositiveIntegerField(default=0)
    shipping_cost = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    shipping_currency = models.CharField(max_length=3, blank=True, default="")
    rate_reasoning = models.JSONField(default=list, blank=True)
    ship_by = models.DateField(null=True, blank=True, help_text="from the warehouse calendar")
    labelled_at = models.DateTimeField(null=True, blank=True)
    manifest = models.ForeignKey(
        "despatch.Manifest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    channel_notified_at = models.DateTimeField(null=True, blank=True)
    channel_reference = models.CharField(
        max_length=128, blank=True, default="", help_text="the platform's ID of what it was told"
    )
    channel_outcome = models.CharField(max_length=32, blank=True, default="")
    channel_error = models.TextField(blank=True, default="")
    late_warned_at = models.DateTimeField(
        null=True, blank=True, help_text="when it was found past the promised date"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["warehouse", "status"], name="shipment_wh_status")]


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey("despatch.OrderLine", on_delete=models.CASCADE)
    sku = models.ForeignKey("despatch.Sku", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    reservation = models.OneToOneField("despatch.Reservation", on_delete=models.PROTECT)

    class Meta:
        ordering = ["shipment_id", "id"]


class TrackingSerial(models.Model):
    """The next serial each carrier account issues tracking numbers from."""

    name = models.CharField(max_length=64, primary_key=True)
    next_value = models.PositiveBigIntegerField(default=1)


class Manifest(models.Model):
    """The end-of-day hand-over of one carrier's parcels at one warehouse."""

    id = models.CharField(max_length=40, primary_key=True)
    carrier = models.CharField(max_length=64)
    warehouse = models.ForeignKey("despatch.Warehouse", on_delete=models.PROTECT)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)


class TrackingEvent(models.Model):
    """One carrier event for a shipment, as received (once: a repeat changes nothing)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking")
    status = models.CharField(max_length=24)
    carrier_code = models.CharField(max_length=64, blank=True, default="")
    occurred_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True, default="")
    source = models.CharField(max_length=16, default="webhook")  # webhook, file
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "status", "occurred_at"], name="tracking_event_once"
            )
        ]
