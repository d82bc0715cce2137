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


class NotificationTemplate(models.Model):
    """A template written in the set-up pages, stored under the name of the file it takes the
    place of (``shop/confirmed.fr.txt``, ``default/despatched.html``): found before the files."""

    name = models.CharField(max_length=200, primary_key=True)
    source = models.TextField()
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["name"]
