"""Exception cases: what a person must decide, queued with an owner and an SLA."""

from django.db import models


class ExceptionCase(models.Model):
    OPEN, RESOLVED = "open", "resolved"

    id = models.CharField(max_length=40, primary_key=True)
    kind = models.CharField(max_length=32)
    queue = models.CharField(max_length=32)
    subject = models.CharField(max_length=80, help_text="what it is about: order:ID, shipment:ID")
    order = models.ForeignKey(
        "despatch.Order",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exceptions",
    )
    shipment_id = models.CharField(max_length=40, blank=True, default="")
    summary = models.CharField(max_length=300)
    # the platform's own reference of what the case waits on, e.g. the eBay cancellation
    # request it holds for: matched as typed, never read back out of the summary text
    reference = models.CharField(max_length=100, blank=True, default="")
    detail = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, default=OPEN)
    priority = models.PositiveSmallIntegerField()
    owner = models.CharField(max_length=150, blank=True, default="")
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True, default="")
    resolution = models.CharField(max_length=32, blank=True, default="")
    note = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"],
                condition=models.Q(status="open"),
                name="one_open_exception_per_subject",
            )
        ]
        indexes = [
            models.Index(fields=["status", "queue", "due_at"], name="exception_queue_due"),
            models.Index(fields=["status", "owner"], name="exception_owner"),
        ]

    def __str__(self) -> str:
        return self.id
