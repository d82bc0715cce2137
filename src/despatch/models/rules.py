"""Rule set versions: every rule set ever loaded, and which one is active."""

from django.db import models
from django.db.models import Q


class RuleSetVersion(models.Model):
    version = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=200, blank=True, default="")
    source = models.TextField(help_text="the YAML as loaded")
    checksum = models.CharField(max_length=64)
    rule_count = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=False)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    activated_by = models.CharField(max_length=150, blank=True, default="")
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_rule_set"
            )
        ]
