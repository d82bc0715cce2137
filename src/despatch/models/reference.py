"""The version of the reference data the pipeline caches per process."""

from django.db import models


class ReferenceVersion(models.Model):
    """One row whose ``token`` changes, by a database trigger, in the same transaction as any
    write to channels, warehouses (and their calendars), SKUs, rule sets, webhook subscriptions
    and the set of channel listings. A process that finds a token other than the one its cache
    was read under reads the reference data again (services/reference.py)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"reference data {self.token}"
