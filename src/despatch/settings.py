"""Django settings, made from the configuration config.py checked (docs/configuration.md)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from despatch.config import load as load_configuration

CONFIG = load_configuration()  # a bad value stops here, naming the variable

BASE_DIR = Path(__file__).resolve().parent
HOME = Path(CONFIG.home)

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "despatch",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "despatch.web.headers.ContentSecurityPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "despatch.api.outage.DatabaseUnavailable",
    "despatch.api.middleware.ApiProblems",
    "despatch.api.middleware.GuardBodies",
    "despatch.api.middleware.RejectNulCharacters",
    "despatch.api.intake.SignedIntake",  # answers signed webhooks; the rest is not needed
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "despatch.urls"
WSGI_APPLICATION = "despatch.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["despatch.web.money", "despatch.web.words"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "despatch.web.context.navigation",
                "despatch.web.context.outbox_lag",
            ],
        },
    }
]


# Seconds a server thread keeps its database connection (0: a new one per request).
CONN_MAX_AGE = CONFIG.conn_max_age


def database_config(url: str) -> dict[str, object]:
    """Django database settings for a ``sqlite:///path`` or ``postgresql://`` URL."""
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=CONN_MAX_AGE))
    config["CONN_HEALTH_CHECKS"] = CONN_MAX_AGE > 0
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 60,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config["TEST"] = {"NAME": str(HOME / f"test-despatch-{os.getpid()}.sqlite3")}
    else:
        config["TEST"] = {"NAME": f"test_despatch_{os.getpid()}"}
        # an unreachable server fails in seconds (and the worker backs off), never hangs
        parsed = config.get("OPTIONS")
        options: dict[str, object] = dict(parsed) if isinstance(parsed, dict) else {}
        options.setdefault("connect_timeout", 10)
        config["OPTIONS"] = options
    return config


# Every page warns that no worker is running when the oldest due outbox event has waited longer.
LAG_WARNING_SECONDS = CONFIG.lag_warning

# /readyz fails when the oldest due outbox event has waited longer than this (seconds).
READY_MAX_LAG_SECONDS = CONFIG.ready_max_lag

DATABASE_URL = CONFIG.database
DATABASES = {"default": database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's four standard rules, checked where a person sets a password (CLI, UI); the demo and
# the tests create users through services.tokens.ensure_user, which does not check them.
AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "web" / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

NINJA_PAGINATION_PER_PAGE = 50

# The largest request body accepted (bytes); a larger one is answered 413 problem+json.
DATA_UPLOAD_MAX_MEMORY_SIZE = CONFIG.max_body_bytes

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
}

# Production hardening (docs/security.md#production-settings): DESPATCH_SECURE=1 behind TLS.
SECURE = CONFIG.secure
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if SECURE:  # and despatch.web.headers sends its Content-Security-Policy
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_HTTPONLY = True  # pages and htmx take the token from the page, not the cookie
    SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
