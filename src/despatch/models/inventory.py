"""Stock levels, the append-only movement ledger, and reservations."""

from django.db import models
from django.db.models import F, Q

from despatch.domain.inventory import MovementReason, ReservationStatus


class StockLevel(models.Model):
    sku = models.ForeignKey("despatch.Sku", on_delete=models.PROTECT, related_name="levels")
    warehouse = models.ForeignKey(
        "despatch.Warehouse", on_delete=models.PROTECT, related_name="levels"
    )
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    quarantined = models.IntegerField(default=0)

    class Meta:
        ordering = ["sku_id", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "warehouse"], name="stock_sku_warehouse"),
            # The database itself refuses an oversell, whatever the code above it does.
            models.CheckConstraint(
                condition=Q(reserved__gte=0)
                & Q(quarantined__gte=0)
                & Q(on_hand__gte=F("reserved") + F("quarantined")),
                name="stock_never_oversold",
            ),
        ]


class StockMovement(models.Model):
    """Append-only: rows are inserted, never updated or deleted."""

    id = models.CharField(max_length=40, primary_key=True)
    sku = models.ForeignKey("despatch.Sku", on_delete=models.PROTECT)
    warehouse = models.ForeignKey("despatch.Warehouse", on_delete=models.PROTECT)
    quantity = models.IntegerField()
    reason = models.CharField(max_length=24, choices=[(r.value, r.value) for r in MovementReason])
    reference = models.CharField(max_length=128, blank=True, default="")
    note = models.CharField(max_length=500, blank=True, default="")
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["sku", "warehouse"], name="movement_sku_warehouse")]


class Reservation(models.Model):
    id = models.CharField(max_length=40, primary_key=True)
    order = models.ForeignKey(
        "despatch.Order", on_delete=models.CASCADE, related_name="reservations"
    )
    line = models.ForeignKey(
        "despatch.OrderLine", on_delete=models.CASCADE, related_name="reservations"
    )
    sku = models.ForeignKey("despatch.Sku", on_delete=models.PROTECT)
    warehouse = models.ForeignKey("despatch.Warehouse", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in ReservationStatus], db_index=True
    )
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_qty_positive")
        ]
