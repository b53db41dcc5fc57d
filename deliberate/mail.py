"""Send outgoing mail, or write it to the log when no mail server is configured; build the links mail carries.

Links in a message must be absolute. They start with ``BASE_URL`` (``DELIBERATE_BASE_URL``) when it is set,
inside a request or not: a command sends mail with no request to take a host from, and inside a request the
configured address cannot be changed by a forged ``Host`` header (a password-reset link pointing elsewhere).
Without it, a request's own host is used; outside a request, Flask's ``SERVER_NAME`` if set, or else the link
stays a bare path and a warning says to set ``DELIBERATE_BASE_URL``.

Mail goes out as a job: :func:`queue_mail` stores the message (an ``OutgoingMail`` with its idempotency key) in
the caller's transaction and, once it commits, a worker delivers it with :func:`deliver`. A mail server that is
down delays messages, which are tried again after a growing delay and never dropped: out of tries they wait in
the site administrator's dead-letter list. A message's text is erased once it is sent.
"""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask, current_app, has_request_context, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select, update

from deliberate.extensions import db
from deliberate.jobs.services import after_commit, retry_delay
from deliberate.models import MailStatus, OutgoingMail, utcnow


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


def _unsubscribe_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="deliberate-unsubscribe")


def unsubscribe_link(user_id: int, topic: str) -> str:
    """Return the address that stops one topic's emails to one member, with no log-in (a signed token)."""
    return external_url("notifications.unsubscribe", token=_unsubscribe_signer().dumps([user_id, topic]))


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """Return (user id, topic) from an unsubscribe token, or None when it was not made by this site."""
    try:
        user_id, topic = _unsubscribe_signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(topic, str):
        return None
    return user_id, topic


def queue_mail(to: str, subject: str, body: str, *, key: str | None = None, user_id: int | None = None,
               unsubscribe_kind: str | None = None) -> OutgoingMail | None:
    """Store a message in the current transaction and deliver it once that commits; the caller commits.

    ``key`` makes it idempotent: a message whose key is already stored is not stored twice (None is returned).
    """
    key = key or f"mail:{uuid.uuid4().hex}"
    if db.session.scalar(select(OutgoingMail.id).where(OutgoingMail.key == key)) is not None:
        return None
    mail = OutgoingMail(key=key, user_id=user_id, address=to, subject=subject[:300], body=body,
                        unsubscribe_kind=unsubscribe_kind, status=MailStatus.PENDING, attempts=0,
                        next_attempt_at=utcnow(), created_at=utcnow())
    db.session.add(mail)
    db.session.flush()
    after_commit("deliver_mail", [mail.id])
    return mail


def build_message(to: str, subject: str, body: str, *, key: str | None = None,
                  unsubscribe_link: str | None = None) -> EmailMessage:
    """Return the message itself: its Message-ID follows from its key, so a receiver can spot a repeat."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    if key:
        sender_domain = config["MAIL_SENDER"].rsplit("@", 1)[-1].strip(" >") or "localhost"
        message["Message-ID"] = f"<{uuid.uuid5(uuid.NAMESPACE_URL, key).hex}@{sender_domain}>"
    else:
        message["Message-ID"] = make_msgid()
    if unsubscribe_link:  # RFC 8058: a mail client may unsubscribe with one POST to this address
        message["List-Unsubscribe"] = f"<{unsubscribe_link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(body)
    return message


class _Connection:
    """One SMTP conversation for a batch of messages, opened at the first message."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        config = current_app.config
        outbox = current_app.extensions.get("mail_outbox")
        if outbox is not None:  # tests read what would have been sent
            outbox.append(message)
        if not config.get("MAIL_SERVER"):
            # A message holds invitation and reset links: its body reaches the log only on a developer's machine.
            if current_app.debug:
                current_app.logger.info("Mail not sent (no mail server configured):\n%s", message)
            else:
                current_app.logger.warning("Mail not sent: no mail server is configured (DELIBERATE_MAIL_SERVER).")
            return
        if self.smtp is None:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10)
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            self.smtp = smtp
        self.smtp.send_message(message)

    def close(self) -> None:
        if self.smtp is not None:
            with suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()
            self.smtp = None


@contextmanager
def _connection() -> Iterator[_Connection]:
    connection = _Connection()
    try:
        yield connection
    finally:
        connection.close()


def send_mail(to: str, subject: str, body: str) -> None:
    """Deliver a plain-text message to one address now (a command's test message); pages use queue_mail."""
    with _connection() as connection:
        connection.send(build_message(to, subject, body))


def deliver(mail_ids: list[int]) -> tuple[list[int], int] | None:
    """Send the waiting messages among ``mail_ids`` over one connection; return what to try again, and when.

    The batch is claimed first (a compare-and-set, so two workers never send the same message), and each message
    is marked sent as soon as the server took it: a worker killed mid-batch leaves its unsent messages claimed
    until the claim runs out, then the sweeper queues them again.
    """
    config = current_app.config
    now = utcnow()
    claimed_until = now + timedelta(seconds=config["JOBS_STALE_SECONDS"])
    db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id.in_(mail_ids),
               or_((OutgoingMail.status == MailStatus.PENDING) & (OutgoingMail.next_attempt_at <= now),
                   (OutgoingMail.status == MailStatus.SENDING) & (OutgoingMail.claimed_until < now)))
        .values(status=MailStatus.SENDING, claimed_until=claimed_until)
        .execution_options(synchronize_session=False))
    db.session.commit()
    mails = list(db.session.scalars(
        select(OutgoingMail)
        .where(OutgoingMail.id.in_(mail_ids), OutgoingMail.status == MailStatus.SENDING,
               OutgoingMail.claimed_until == claimed_until)
        .order_by(OutgoingMail.id)))
    with _connection() as connection:
        for index, mail in enumerate(mails):
            link = unsubscribe_link(mail.user_id, mail.unsubscribe_kind) if mail.unsubscribe_kind else None
            message = build_message(mail.address, mail.subject, mail.body, key=mail.key, unsubscribe_link=link)
            try:
                connection.send(message)
            except (OSError, smtplib.SMTPException) as error:
                return _postpone(mails[index:], error)
            mail.status, mail.sent_at, mail.body, mail.claimed_until = MailStatus.SENT, utcnow(), "", None
            db.session.commit()
    return None


def _postpone(mails: list[OutgoingMail], error: Exception) -> tuple[list[int], int] | None:
    """Put the unsent messages back to wait, each with one more failed try; the dead ones stop there."""
    current_app.logger.warning("Mail server unavailable (%s: %s); %d message(s) wait for the next try",
                               type(error).__name__, error, len(mails))
    most = current_app.config["MAIL_MAX_ATTEMPTS"]
    now = utcnow()
    retry_ids: list[int] = []
    attempts = 1
    for mail in mails:
        mail.attempts += 1
        mail.error = f"{type(error).__name__}: {error}"[:500]
        mail.claimed_until = None
        if mail.attempts >= most:
            mail.status = MailStatus.DEAD
        else:
            mail.status = MailStatus.PENDING
            mail.next_attempt_at = now + timedelta(seconds=retry_delay(mail.attempts))
            retry_ids.append(mail.id)
            attempts = max(attempts, mail.attempts)
    db.session.commit()
    return (retry_ids, retry_delay(attempts)) if retry_ids else None
