"""Send outgoing mail, or write it to the log when no mail server is configured; build the links mail carries.

Links in a message must be absolute. They start with ``BASE_URL`` (``DELIBERATE_BASE_URL``) when it is set,
inside a request or not: a command sends mail with no request to take a host from, and inside a request the
configured address cannot be changed by a forged ``Host`` header (a password-reset link pointing elsewhere).
Without it, a request's own host is used; outside a request, Flask's ``SERVER_NAME`` if set, or else the link
stays a bare path and a warning says to set ``DELIBERATE_BASE_URL``.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask, current_app, has_request_context, request, url_for


def init_app(app: Flask) -> None:
    """Check the base address at start-up, so that a typo fails at once and not in a message sent later."""
    if app.config.get("BASE_URL"):
        _split_base(app.config["BASE_URL"])


def _split_base(base: str) -> tuple[str, str, str]:
    """Return the scheme, host and path prefix (no trailing slash) of the base address; ValueError if unusable."""
    parts = urlsplit(base.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"DELIBERATE_BASE_URL must be the site's address, such as https://agenda.example.org, not {base!r}"
        )
    return parts.scheme, parts.netloc, parts.path.rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """Return the absolute address of a page for a message: from BASE_URL, else the request's host (see above)."""
    base = current_app.config.get("BASE_URL")
    if base:
        scheme, host, prefix = _split_base(base)
        adapter = current_app.url_map.bind(host, script_name=prefix or "/", url_scheme=scheme)
        return adapter.build(endpoint, values, force_external=True)
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    _warn_relative(path)
    return path


def absolute_link(link: str) -> str:
    """Make a path on the site (``/consultations/3``) absolute in the same way; an absolute address is kept.

    A path that already starts with BASE_URL's own path (it was built inside a request to a site mounted there)
    is not prefixed twice.
    """
    if urlsplit(link).scheme:
        return link
    base = current_app.config.get("BASE_URL")
    if base:
        scheme, host, prefix = _split_base(base)
        path = link if not prefix or link == prefix or link.startswith(prefix + "/") else prefix + link
        return f"{scheme}://{host}{path}"
    if has_request_context():
        return urljoin(request.host_url, link)
    if current_app.config.get("SERVER_NAME"):
        return urljoin(f"{current_app.config['PREFERRED_URL_SCHEME']}://{current_app.config['SERVER_NAME']}/", link)
    _warn_relative(link)
    return link


def _warn_relative(link: str) -> None:
    """Say once per process that links are relative (a phase change mails every member of a federation)."""
    if current_app.extensions.get("mail_relative_link_warned"):
        return
    current_app.extensions["mail_relative_link_warned"] = True
    current_app.logger.warning("A link in an email is relative (%s): set DELIBERATE_BASE_URL to the site's "
                               "address, such as https://agenda.example.org", link)


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
        # A message holds invitation and reset links: its body reaches the log only on a developer's own machine.
        if current_app.debug:
            current_app.logger.info("Mail not sent (no mail server configured):\n%s", message)
        else:
            current_app.logger.warning("Mail not sent: no mail server is configured (DELIBERATE_MAIL_SERVER).")
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
