"""Signed webhooks we define ourselves: hex HMAC-SHA256 of the raw body, one secret per sender.

Used by carriers' tracking events and payment providers' notices (``X-Despatch-Signature``).
"""

from __future__ import annotations

import hashlib
import hmac


def hex_hmac_matches(secret: str, body: bytes, signature: str) -> bool:
    """Constant-time check; no secret means nothing is trusted."""
    if not secret:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, (signature or "").strip().lower())


def secret_variable(prefix: str, sender: str) -> str:
    """The environment variable holding ``sender``'s secret: ``PREFIX_ROYAL_MAIL``."""
    return prefix + "_" + "".join(c if c.isalnum() else "_" for c in sender.upper())
