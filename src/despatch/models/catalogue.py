"""What is sold, where it is stored, and where orders come from."""

from django.db import models


class Warehouse(models.Model):
    code = models.CharField(max_length=32, primary_key=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC")
    country = models.CharField(max_length=2, default="GB")
    priority = models.PositiveIntegerField(default=100, help_text="lower ships first")
    address = models.JSONField(default=dict, blank=True, help_text="the sender on labels")
    layout = models.JSONField(default=dict, blank=True, help_text="LAYOUT.json, for pick routes")
    calendar = models.JSONField(
        default=dict, blank=True, help_text="working days, holidays, cut-offs (docs/rules.md)"
    )
    location = models.JSONField(
        default=dict, blank=True, help_text="region and coordinates, for nearest sourcing"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return self.code


class Sku(models.Model):
    code = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=300)
    gtin = models.CharField(max_length=14, blank=True, default="")
    length_mm = models.PositiveIntegerField(default=0)
    width_mm = models.PositiveIntegerField(default=0)
    height_mm = models.PositiveIntegerField(default=0)
    weight_g = models.PositiveIntegerField(default=0)
    flags = models.JSONField(default=list, blank=True)
    safety_stock = models.PositiveIntegerField(default=0, help_text="units never offered")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Channel(models.Model):
    code = models.CharField(max_length=32, primary_key=True)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=32, default="api")
    warehouses = models.JSONField(default=list, blank=True, help_text="codes in priority order")
    active = models.BooleanField(default=True)
    webhook_secret = models.CharField(max_length=200, blank=True, default="")
    api_url = models.CharField(max_length=500, blank=True, default="")
    token = models.CharField(max_length=500, blank=True, default="")
    settings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code
