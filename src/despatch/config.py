"""Every ``DESPATCH_*`` setting, read once at start-up into one frozen, validated object.

``load()`` reads the environment (pydantic-settings), checks each value and keeps the result;
``current()`` hands it to whoever needs it. Nothing else in ``src/`` reads ``os.environ``
(tests/unit/test_configuration.py fails if something does). A bad value raises
:class:`ConfigError` naming the variable and the reason; ``despatch`` prints that one line and
exits 2 before ``serve`` or ``worker`` start. The README's configuration table and
docs/configuration.md are generated from the fields below (``despatch config table``).
Why an accessor and not an argument on every service: docs/adr/0008-one-configuration.md.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from despatch.domain.errors import ValidationFailed
from despatch.domain.reoffer import DEFAULT_REOFFER_ORDER, REOFFER_CHOICES
from despatch.domain.returns import ApprovalLimits, Disposition, Grade, read_limits

PREFIX = "DESPATCH_"
# variables whose name may carry a sender's name: DESPATCH_PAYMENTS_SECRET_BANK
PER_SENDER = ("DESPATCH_PAYMENTS_SECRET", "DESPATCH_TRACKING_SECRET")
DEVELOPMENT_KEY = "despatch-insecure-development-key-change-me"

CommaList = Annotated[tuple[str, ...], NoDecode]
EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+")


class ConfigError(Exception):
    """A setting that cannot be used: ``variable`` and ``reason``."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable
        self.reason = reason


def setting(default: Any, meaning: str, shown: str, *, secret: bool = False, **rules: Any) -> Any:
    """A field: its default, its meaning and the default as the docs show it."""
    extra: dict[str, Any] = {"shown": shown, "secret": secret}
    if callable(default):
        return Field(default_factory=default, description=meaning, json_schema_extra=extra, **rules)
    return Field(default, description=meaning, json_schema_extra=extra, **rules)


class Config(BaseSettings):
    """The settings, one field per ``DESPATCH_<FIELD>`` variable, in the README's order."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, case_sensitive=False, frozen=True, env_ignore_empty=True, extra="ignore"
    )

    database_url: str = setting(
        "",
        "`sqlite:///path` (embedded) or `postgresql://user@host:5432/db` (production)",
        "`sqlite:///$DESPATCH_HOME/despatch.sqlite3`",
        secret=True,  # its password is masked
    )
    home: Path = setting(
        Path.cwd,
        "where the default SQLite file (the folder must exist), rate card and cartons live",
        "current folder",
    )
    secret_key: str = setting(
        DEVELOPMENT_KEY,
        "Django's secret key: set it in production",
        "a development key",
        secret=True,
    )
    allowed_hosts: CommaList = setting(
        ("127.0.0.1", "localhost", "testserver"),
        "host names the server answers to (comma list)",
        "`127.0.0.1,localhost,testserver`",
    )
    debug: bool = setting(False, "`1` for Django's debug pages", "`0`")
    lag_warning: int = setting(
        60,
        "seconds of outbox lag past which every page of the web app says that no worker is "
        "running ([operations](docs/operations.md#health-checks))",
        "`60`",
        ge=1,
    )
    ready_max_lag: int = setting(
        300,
        "seconds of outbox lag past which `/readyz` answers 503 "
        "([operations](docs/operations.md#health-checks))",
        "`300`",
        ge=1,
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = setting(
        "WARNING", "log level of the server and worker", "`WARNING`"
    )
    conn_max_age: int = setting(
        60,
        "seconds a server thread keeps its database connection (0: one per request)",
        "`60`",
        ge=0,
    )
    max_body_bytes: int = setting(
        2 * 1024 * 1024,
        "the largest request body; a larger one is answered 413 ([api](docs/api.md#limits))",
        "`2097152`",
        ge=1024,
    )
    secure: bool = setting(
        False,
        "`1` behind HTTPS: Secure cookies, HSTS, Content-Security-Policy "
        "([security](docs/security.md#production-settings))",
        "`0`",
    )
    hsts_seconds: int = setting(
        31536000, "HSTS max-age sent when `DESPATCH_SECURE=1`", "`31536000`", ge=0
    )
    stripe_webhook_secret: str = setting(
        "",
        "Stripe's webhook signing secret (`whsec_…`) ([payments](docs/payments.md))",
        "none",
        secret=True,
    )
    payments_secret: str = setting(
        "",
        "secret of the generic signed payment webhook; `DESPATCH_PAYMENTS_SECRET_<PROVIDER>` "
        "for one provider",
        "none",
        secret=True,
    )
    tracking_secret: str = setting(
        "",
        "secret of carrier tracking webhooks; `DESPATCH_TRACKING_SECRET_<CARRIER>` for one "
        "carrier ([shipping](docs/shipping.md))",
        "none",
        secret=True,
    )
    rates: Path | None = setting(
        None, "the rate card ([shipping](docs/shipping.md))", "`$DESPATCH_HOME/rates.json`"
    )
    cartons: Path | None = setting(
        None, "the carton list ([packing](docs/packing.md))", "`$DESPATCH_HOME/cartons.csv`"
    )
    exception_policy: Path | None = setting(
        None,
        "owners, SLAs and priorities of the exception queues ([exceptions](docs/exceptions.md))",
        "`$DESPATCH_HOME/exception-policy.json` (optional)",
    )
    reoffer_order: CommaList = setting(
        DEFAULT_REOFFER_ORDER,
        "who gets freed or received stock first: any of `priority`, `promise`, `channel`, "
        "`age` ([rules](docs/rules.md#re-offering-stock))",
        "`priority,promise,age`",
    )
    smtp_host: str = setting(
        "",
        "the SMTP server customer emails and staff alerts go through "
        "([notifications](docs/notifications.md))",
        "none (no email)",
    )
    smtp_port: int = setting(25, "the SMTP server's port", "`25`", ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "ssl"] = setting(
        "none", "`none`, `starttls` or `ssl`", "`none`"
    )
    smtp_user: str = setting("", "SMTP user name (logs in when set)", "none")
    smtp_password: str = setting("", "SMTP password", "none", secret=True)
    mail_from: str = setting(
        "Despatch <despatch@localhost>",
        "the From of every email (an address, optionally with a name)",
        "`Despatch <despatch@localhost>`",
    )
    staff_alert_emails: CommaList = setting(
        (), "who gets staff alerts (exceptions opened, overdue; comma list of addresses)", "none"
    )
    sms_webhook_url: str = setting(
        "", "the seller's SMS/WhatsApp provider, called with a signed POST", "none"
    )
    sms_webhook_secret: str = setting("", "secret that signs SMS calls", "none", secret=True)
    notification_templates: Path | None = setting(
        None, "a folder of your own Jinja2 templates, searched before the built-in ones", "none"
    )
    public_url: str = setting(
        "http://127.0.0.1:8000",
        "the address of this server, for links in emails",
        "`http://127.0.0.1:8000`",
    )
    tracking_url: str = setting(
        "",
        "an http(s) tracking URL pattern with `{tracking_number}` (and optionally `{carrier}`)"
        " for emails",
        "none",
    )
    return_window_days: int = setting(
        30,
        "days after despatch a return may be asked for ([returns](docs/returns.md))",
        "`30`",
        ge=0,
    )
    return_dispositions: str = setting(
        "",
        'JSON grade → disposition, e.g. `{"B": "refurbish"}`',
        "A/B restock, C refurbish, D quarantine",
    )
    qc_hours: int = setting(72, "hours a returned unit may wait for its check", "`72`", ge=0)
    returns_warehouse: str = setting(
        "", "the warehouse returns go to", "the order's first despatching warehouse"
    )
    refund_limits: str = setting(
        "50,500",
        "refunds up to the first amount are automatic, up to the second need one approver, "
        "above it two",
        "`50,500`",
    )
    refund_webhook_url: str = setting(
        "",
        "the seller's payment service that makes refunds (orders from Shopify, WooCommerce, "
        "BigCommerce and eBay are refunded, and cancelled, on the platform itself: "
        "[channels](docs/channels.md#cancellations-and-refunds-back-to-the-platform))",
        "none (refunds recorded as made)",
    )
    refund_webhook_secret: str = setting("", "secret that signs refund calls", "none", secret=True)
    webhook_allow_private: bool = setting(
        False,
        "`1` lets outbound webhook subscriptions reach loopback and private addresses "
        "([notifications](docs/notifications.md#outbound-webhooks))",
        "`0`",
    )
    # DESPATCH_PAYMENTS_SECRET_<X> and DESPATCH_TRACKING_SECRET_<X>, as named in the environment
    sender_secrets: dict[str, str] = Field(default_factory=dict, exclude=True)

    @field_validator("allowed_hosts", "staff_alert_emails", "reoffer_order", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @field_validator("smtp_security", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("reoffer_order")
    @classmethod
    def _reoffer(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [k for k in keys if k not in REOFFER_CHOICES]
        if unknown:
            raise ValueError(
                f"unknown key(s) {', '.join(unknown)}: use {', '.join(REOFFER_CHOICES)}"
            )
        return keys

    @field_validator("database_url")
    @classmethod
    def _database(cls, url: str) -> str:
        if url and not url.startswith(("sqlite://", "postgres://", "postgresql://")):
            raise ValueError("expected sqlite:///path or postgresql://user@host:5432/db")
        host = url.partition("://")[2].partition("/")[0].rpartition("@")[2].rpartition("]")[2]
        port = host.partition(":")[2] if url.startswith("postgres") else ""
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise ValueError(f"the port {port!r} is not a number from 1 to 65535")
        return url

    @field_validator("public_url", "sms_webhook_url", "refund_webhook_url")
    @classmethod
    def _url(cls, url: str) -> str:
        if url and not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http:// or https:// address")
        return url.rstrip("/") if url else url

    @field_validator("home")
    @classmethod
    def _home(cls, home: Path, info: ValidationInfo) -> Path:
        if "database_url" in info.data and not info.data["database_url"] and not home.is_dir():
            raise ValueError(
                "no such folder, and the SQLite database lives in it: "
                "create it, or set DESPATCH_DATABASE_URL"
            )
        return home

    @field_validator("mail_from", "staff_alert_emails")
    @classmethod
    def _addresses(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        given = [parseaddr(value)[1] or value] if isinstance(value, str) else value
        wrong = [a for a in given if not EMAIL.fullmatch(a)]
        if wrong:
            raise ValueError(f"not an email address: {', '.join(wrong)}")
        return value

    @field_validator("tracking_url")
    @classmethod
    def _tracking(cls, pattern: str) -> str:
        if pattern and "{tracking_number}" not in pattern:
            raise ValueError("the pattern needs {tracking_number}, where the number goes")
        try:
            pattern.format(tracking_number="T", carrier="C")
        except (KeyError, IndexError, ValueError):
            raise ValueError("only {tracking_number} and {carrier} may be in braces") from None
        if pattern and not pattern.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// address")
        return pattern

    @field_validator("refund_limits")
    @classmethod
    def _limits(cls, raw: str) -> str:
        try:
            read_limits(raw)
        except ValidationFailed as exc:
            raise ValueError("; ".join(e.message for e in exc.errors)) from None
        return raw

    @field_validator("return_dispositions")
    @classmethod
    def _dispositions(cls, raw: str) -> str:
        read_dispositions(raw)
        return raw

    # --- readers the services use ---------------------------------------------------------

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'despatch.sqlite3'}"

    def approval_limits(self) -> ApprovalLimits:
        return read_limits(self.refund_limits)

    def dispositions(self) -> dict[str, str]:
        return read_dispositions(self.return_dispositions)

    def sender_secret(self, variable: str) -> str:
        """``DESPATCH_PAYMENTS_SECRET_BANK`` if set, else ``""``."""
        return self.sender_secrets.get(variable, "")


def read_dispositions(raw: str) -> dict[str, str]:
    """``{"GRADE": "disposition"}`` (JSON); ValueError naming what is wrong."""
    if not raw:
        return {}
    try:
        policy = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(policy, dict):
        raise ValueError('expected {"GRADE": "disposition"}')
    grades, kinds = Grade.__members__, set(Disposition.__members__.values())
    bad = [k for k, v in policy.items() if k not in grades or v not in kinds]
    if bad:
        raise ValueError(f"wrong entries: {bad}")
    return dict(policy)


_current: Config | None = None


def load(**given: Any) -> Config:
    """Read and check every setting (``given`` ones in place of their defaults: the demo's
    public URL), keep it as :func:`current`; :class:`ConfigError` if bad."""
    global _current
    try:
        config = Config(sender_secrets=_sender_secrets(os.environ), **given)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        reason = str(first["msg"]).removeprefix("Value error, ")
        extra = Config.model_fields[field].json_schema_extra if field in Config.model_fields else {}
        secret = isinstance(extra, dict) and bool(extra.get("secret"))
        if not secret and isinstance(first.get("input"), str):
            reason += f" (it is {first['input']!r})"
        raise ConfigError(PREFIX + field.upper(), reason) from None
    _current = config
    return config


def _sender_secrets(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if v and any(k.startswith(p + "_") for p in PER_SENDER)}


def use_django_settings() -> None:
    """Point Django at despatch.settings unless the caller named other settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despatch.settings")


def current() -> Config:
    """The configuration read at start-up (read now if nothing has read it yet)."""
    return _current if _current is not None else load()


def reload() -> Config:
    """Read the environment again (tests that change a variable call this)."""
    return load()
