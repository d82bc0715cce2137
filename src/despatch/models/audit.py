"""The audit log: who changed what, when and why. Insert-only and hash-chained."""

from django.db import models


class AuditEntry(models.Model):
    id = models.CharField(max_length=40, primary_key=True)
    seq = models.BigIntegerField(unique=True)  # the entry's place in the chain, from 1
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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)  # SHA-256 of prev_hash and the content (domain.audit)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="audit_subject")]


class AuditHead(models.Model):
    """The one row naming the chain's latest entry. Writers lock it to append in turn."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
