"""Orders and their lines, as received from a channel."""

from django.db import models
from django.db.models.functions import Lower, Upper

from despatch.domain.orders import OrderStatus, PaymentStatus


class Order(models.Model):
    id = models.CharField(max_length=40, primary_key=True)
    channel = models.CharField(max_length=32)
    external_id = models.CharField(max_length=128)
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=24, choices=[(s.value, s.value) for s in OrderStatus])
    payment_status = models.CharField(
        max_length=24, choices=[(s.value, s.value) for s in PaymentStatus]
    )
    currency = models.CharField(max_length=3)
    total_amount = models.DecimalField(
        max_digits=18,
        decimal_places=4,
        help_text="what the customer paid, as the platform states it",
    )
    computed_total = models.DecimalField(
        max_digits=18,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="the order's parts added up, when the platform states a total to check",
    )
    shipping_amount = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    discount_amount = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    tax_amount = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    fee_amount = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    taxes_included = models.BooleanField(default=True)
    presentment_currency = models.CharField(max_length=3, blank=True, default="")
    presentment_total = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    refunds = models.JSONField(default=list, blank=True)
    channel_refs = models.JSONField(
        default=dict, blank=True, help_text="the platform's own references (marketplace, address)"
    )
    channel_updated_at = models.DateTimeField(null=True, blank=True)
    customer_name = models.CharField(max_length=200, blank=True, default="")
    customer_email = models.CharField(max_length=254, blank=True, default="")
    language = models.CharField(max_length=16, blank=True, default="", help_text="e.g. fr, en-GB")
    shipping_address = models.JSONField(default=dict)
    billing_address = models.JSONField(
        default=dict, blank=True, help_text="as the platform gave it; empty when it gave none"
    )
    replaces = models.CharField(
        max_length=40, blank=True, default="", db_index=True, help_text="exchanges: the order"
    )
    exchange_rma = models.CharField(
        max_length=40, blank=True, default="", help_text="exchanges: the return it answers"
    )
    platform_actions = models.JSONField(
        default=list,
        blank=True,
        help_text="cancellations and refunds sent to the platform, each with its answer",
    )
    requested_service = models.CharField(max_length=64, default="standard")
    promise_date = models.DateField(null=True, blank=True)
    paid_at = models.DateTimeField(
        null=True, blank=True, help_text="when the customer paid, as the channel says"
    )
    channel_ship_by = models.DateTimeField(
        null=True, blank=True, help_text="the channel's own latest ship time"
    )
    priority = models.IntegerField(default=0)
    tags = models.JSONField(default=list, blank=True, help_text="set by rules and people")
    customer_tags = models.JSONField(default=list, blank=True, help_text="as the channel sent them")
    fraud_score = models.IntegerField(null=True, blank=True)
    fraud_reasons = models.JSONField(default=list, blank=True)
    hold_reason = models.CharField(max_length=32, blank=True, default="")
    hold_detail = models.JSONField(default=list, blank=True)
    allocation = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    allocated_at = models.DateTimeField(null=True, blank=True)
    despatched_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="order_channel_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="order_status_created"),
            models.Index(fields=["customer_email", "created_at"], name="order_customer_email"),
            # migration 0033 says why
            models.Index(Lower("customer_email"), "created_at", name="order_email_lower"),
            models.Index(fields=["external_id"], name="order_external_id"),
            models.Index(fields=["channel", "created_at"], name="order_channel_created"),  # 0034
        ]

    def __str__(self) -> str:
        return self.id


class OrderLine(models.Model):
    id = models.CharField(max_length=40, primary_key=True)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    sku = models.CharField(max_length=64, help_text="as the channel sent it; may be unknown")
    name = models.CharField(max_length=300, blank=True, default="")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=18, decimal_places=4)
    line_total = models.DecimalField(
        max_digits=18,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="the exact line total (one given by its total keeps it: 18.33 for 2)",
    )
    external_line_id = models.CharField(
        max_length=64, blank=True, default="", help_text="the platform's own ID of the line"
    )
    backordered = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0, help_text="units cancelled before picking")

    class Meta:
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="order_line_no"),
            models.CheckConstraint(  # a line cancelled to nothing keeps its row
                condition=models.Q(quantity__gt=0) | models.Q(cancelled__gt=0),
                name="order_line_qty_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["sku"], name="order_line_sku"),  # migration 0033
            models.Index(Upper("sku"), "order_id", name="order_line_sku_upper"),  # 0037
        ]
