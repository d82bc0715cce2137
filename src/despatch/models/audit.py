"""The audit log: who changed what, when and why. Insert-only."""

from django.db import models


class AuditEntry(models.Model):
    id = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150)
    subject_type = models.CharField(max_length=32)
    subject_id = models.CharField(max_length=64)
    order_id = models.CharField(max_length=40, blank=True, default="", db_index=True)
    action = models.CharField(max_length=64)
    reason_code = models.CharField(max_length=64, blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="audit_subject")]
