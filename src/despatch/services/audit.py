"""Collect audit entries during a use case and write them in one statement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from despatch.domain.ids import new_id
from despatch.models import AuditEntry


@dataclass
class Trail:
    actor: str
    at: datetime = field(default_factory=timezone.now)
    entries: list[AuditEntry] = field(default_factory=list)

    def add(
        self,
        subject_type: str,
        subject_id: str,
        action: str,
        *,
        order_id: str = "",
        reason_code: str = "",
        before: Any = None,
        after: Any = None,
        **detail: Any,
    ) -> None:
        self.entries.append(
            AuditEntry(
                id=new_id("audit"),
                at=self.at,
                actor=self.actor,
                subject_type=subject_type,
                subject_id=subject_id,
                order_id=order_id,
                action=action,
                reason_code=reason_code,
                before=before,
                after=after,
                detail=detail,
            )
        )

    def save(self) -> None:
        AuditEntry.objects.bulk_create(self.entries)
        self.entries = []


def timeline(order_id: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(order_id=order_id).order_by("at", "id"))
