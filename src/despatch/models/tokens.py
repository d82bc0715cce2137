"""API tokens: only a hash is stored; the token is shown once when created."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
