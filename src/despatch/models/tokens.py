"""API tokens and what a user may reach: only a token's hash is stored; the token is shown
once when created."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list, blank=True)  # ["warehouse:LON", "channel:shop"]
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class StaffAccess(models.Model):
    """A user's limits beyond their roles: scope and the most they may approve in a refund."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="despatch_access"
    )
    scopes = models.JSONField(default=list, blank=True)
    refund_limit = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
