"""The warehouse floor's picking: where each SKU lives, pick lists and their tasks."""

from django.db import models


class SkuLocation(models.Model):
    """The bin a SKU is picked from in a warehouse (``A03-B17-R``)."""

    warehouse = models.ForeignKey("despatch.Warehouse", on_delete=models.CASCADE)
    sku = models.ForeignKey("despatch.Sku", on_delete=models.CASCADE)
    location = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "sku"], name="one_pick_bin_per_sku")
        ]


class PickList(models.Model):
    OPEN, DONE = "open", "done"

    id = models.CharField(max_length=40, primary_key=True)
    warehouse = models.ForeignKey("despatch.Warehouse", on_delete=models.PROTECT)
    wave = models.CharField(max_length=40, db_index=True)
    batch = models.CharField(max_length=40, blank=True, default="", help_text="lists of a tote")
    zone = models.CharField(max_length=32, blank=True, default="")
    method = models.CharField(max_length=16)
    length_m = models.FloatField()
    status = models.CharField(max_length=8, default=OPEN)
    picker = models.CharField(
        max_length=150, blank=True, default="", help_text="the user the list is assigned to"
    )
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class PickTask(models.Model):
    OPEN, PICKED, SHORT, CANCELLED = "open", "picked", "short", "cancelled"

    pick_list = models.ForeignKey(PickList, on_delete=models.CASCADE, related_name="tasks")
    seq = models.PositiveIntegerField()
    shipment = models.ForeignKey("despatch.Shipment", on_delete=models.PROTECT)
    shipment_line = models.ForeignKey("despatch.ShipmentLine", on_delete=models.PROTECT)
    sku = models.ForeignKey("despatch.Sku", on_delete=models.PROTECT)
    location = models.CharField(max_length=32)
    quantity = models.PositiveIntegerField()
    picked = models.PositiveIntegerField(default=0)
    short = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, default=OPEN)

    class Meta:
        ordering = ["pick_list_id", "seq"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(picked__lte=models.F("quantity")), name="never_pick_more"
            )
        ]


class PutAwayTask(models.Model):
    """Units to return to their bin: picked for an order that was then cancelled, or restocked
    from a return. The stock never left the building, so only the shelf changes."""

    OPEN, DONE = "open", "done"

    id = models.CharField(max_length=40, primary_key=True)
    warehouse = models.ForeignKey("despatch.Warehouse", on_delete=models.PROTECT)
    sku = models.ForeignKey("despatch.Sku", on_delete=models.PROTECT)
    location = models.CharField(max_length=32, blank=True, default="")
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=32)
    order_id = models.CharField(max_length=40, blank=True, default="", db_index=True)
    shipment_id = models.CharField(max_length=40, blank=True, default="")
    status = models.CharField(max_length=8, default=OPEN, db_index=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
