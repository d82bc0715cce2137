"""Postal addresses as value objects, with the checks every country needs."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from despatch.domain.errors import FieldError


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    postcode: str
    country: str  # ISO 3166-1 alpha-2
    line2: str = ""
    region: str = ""
    company: str = ""
    phone: str = ""  # E.164 where it could be read, else as given
    email: str = ""
    phone_raw: str = ""  # exactly as the channel sent it

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Address:
        known = {k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def problems(self, prefix: str = "shipping_address") -> list[FieldError]:
        """Fields missing or malformed; deeper per-country rules live in validation."""
        errors = [
            FieldError(f"{prefix}.{name}", "is required", "required")
            for name in ("name", "line1", "city", "country")
            if not getattr(self, name).strip()
        ]
        if self.country and (len(self.country) != 2 or not self.country.isalpha()):
            errors.append(
                FieldError(f"{prefix}.country", "must be an ISO 3166-1 alpha-2 code", "country")
            )
        return errors
