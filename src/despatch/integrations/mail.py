"""Email through SMTP: host, port, TLS and credentials from the environment.

``DESPATCH_SMTP_HOST`` (default 127.0.0.1), ``DESPATCH_SMTP_PORT`` (25),
``DESPATCH_SMTP_SECURITY`` (``none``, ``starttls`` or ``ssl``), ``DESPATCH_SMTP_USER``,
``DESPATCH_SMTP_PASSWORD``, ``DESPATCH_MAIL_FROM``. Each message carries a Message-ID made
from its own ID, so a receiver can recognise the rare repeat after a crash.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from despatch.config import current as configuration
from despatch.domain.errors import Unavailable

TIMEOUT = 20


def sender() -> str:
    return configuration().mail_from


def send(*, message_id: str, recipient: str, subject: str, text: str, html: str = "") -> str:
    """Send one email; returns the Message-ID. Failures raise :class:`Unavailable`."""
    email = EmailMessage()
    email["From"] = sender()
    email["To"] = recipient
    email["Subject"] = subject
    domain = sender().rsplit("@", 1)[-1].strip("> ") or "localhost"
    email["Message-ID"] = f"<{message_id}@{domain}>"
    email.set_content(text)
    if html:
        email.add_alternative(html, subtype="html")
    config = configuration()
    host, port, security = config.smtp_host or "127.0.0.1", config.smtp_port, config.smtp_security
    try:
        smtp_class = smtplib.SMTP_SSL if security == "ssl" else smtplib.SMTP
        with smtp_class(host, port, timeout=TIMEOUT) as smtp:
            if security == "starttls":
                smtp.starttls()
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password)
            smtp.send_message(email)
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise Unavailable(f"SMTP {host}:{port} refused the message: {exc}") from exc
    return str(email["Message-ID"])
