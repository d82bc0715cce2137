"""Returns (RMA), their lines as graded, and refunds with their approvals."""

from django.db import models


class ReturnRequest(models.Model):
    id = models.CharField(max_length=40, primary_key=True, help_text="the RMA number")
    order = models.ForeignKey("despatch.Order", on_delete=models.PROTECT, related_name="returns")
    warehouse = models.ForeignKey("despatch.Warehouse", on_delete=models.PROTECT)
    status = models.CharField(max_length=12, db_index=True)
    source = models.CharField(max_length=16, help_text="api, customer or support")
    requested_by = models.CharField(max_length=150)
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]


class ReturnLine(models.Model):
    rma = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey("despatch.OrderLine", on_delete=models.PROTECT)
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=32)
    received = models.PositiveIntegerField(default=0)
    grades = models.JSONField(default=dict, blank=True, help_text='{"A": 1, "D": 1}')
    dispositions = models.JSONField(default=dict, blank=True, help_text='{"restock": 1}')
    held = models.PositiveIntegerField(default=0, help_text="units in quarantine or refurbish")
    qc_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rma_id", "id"]

    @property
    def units(self) -> range:
        """1..quantity, for a grade field per unit on the returns desk."""
        return range(1, self.quantity + 1)


class Refund(models.Model):
    id = models.CharField(max_length=40, primary_key=True)
    order = models.ForeignKey(
        "despatch.Order", on_delete=models.PROTECT, related_name="refund_requests"
    )
    rma = models.ForeignKey(
        ReturnRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    kind = models.CharField(max_length=16)
    amount = models.DecimalField(max_digits=18, decimal_places=4)
    currency = models.CharField(max_length=3)
    restocking_fee = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    shipping = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    lines = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=300, blank=True, default="")
    status = models.CharField(max_length=12, db_index=True)
    approvals_needed = models.PositiveSmallIntegerField()
    approved_by = models.JSONField(default=list, blank=True)
    requested_by = models.CharField(max_length=150)
    decided_by = models.CharField(max_length=150, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    provider_reference = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
