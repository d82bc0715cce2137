"""The message log: every customer notification and staff alert, with its status."""

from django.db import models


class Message(models.Model):
    id = models.CharField(max_length=40, primary_key=True)
    key = models.CharField(max_length=255, unique=True, help_text="one message per fact")
    audience = models.CharField(max_length=16)
    medium = models.CharField(max_length=8)
    template = models.CharField(max_length=64)
    topic = models.CharField(max_length=64)
    event_id = models.BigIntegerField(help_text="the outbox event that caused it")
    order_id = models.CharField(max_length=40, blank=True, default="", db_index=True)
    channel = models.CharField(max_length=32, blank=True, default="")
    language = models.CharField(max_length=16, blank=True, default="")
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True, default="")
    body_text = models.TextField()
    body_html = models.TextField(blank=True, default="")
    status = models.CharField(max_length=12, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
