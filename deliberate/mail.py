"""Send outgoing mail, or write it to the log when no mail server is configured."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def send_mail(to: str, subject: str, body: str) -> None:
    """Deliver a plain-text message to one address."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    outbox = current_app.extensions.get("mail_outbox")
    if outbox is not None:  # tests read what would have been sent
        outbox.append(message)
    if not config.get("MAIL_SERVER"):
        current_app.logger.info("Mail not sent (no mail server configured):\n%s", message)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
