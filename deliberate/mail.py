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

import base64
import smtplib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask, current_app, has_request_context, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, or_, select, update

from deliberate.background import after_commit, retry_delay
from deliberate.extensions import db
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
        cached = current_app.extensions.get("mail_url_adapter")
        if cached is None or cached[0] != base:  # bound once per process (a fan-out builds 40,000 links)
            scheme, host, prefix = _split_base(base)
            cached = (base, current_app.url_map.bind(host, script_name=prefix or "/", url_scheme=scheme))
            current_app.extensions["mail_url_adapter"] = cached
        return cached[1].build(endpoint, values, force_external=True)
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
    secret = current_app.config["SECRET_KEY"]
    cached = current_app.extensions.get("mail_unsubscribe_signer")
    if cached is None or cached[0] != secret:  # made once per process and key, not once per message
        cached = (secret, URLSafeSerializer(secret, salt="deliberate-unsubscribe"))
        current_app.extensions["mail_unsubscribe_signer"] = cached
    return cached[1]


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


def message_id(key: str) -> str:
    """Return the Message-ID a message with this idempotency key carries: a receiver (or a count) can spot a repeat."""
    sender_domain = current_app.config["MAIL_SENDER"].rsplit("@", 1)[-1].strip(" >") or "localhost"
    return f"<{uuid.uuid5(uuid.NAMESPACE_URL, key).hex}@{sender_domain}>"


def build_message(to: str, subject: str, body: str, *, key: str | None = None,
                  unsubscribe_link: str | None = None) -> EmailMessage:
    """Return the message itself: its Message-ID follows from its key, so a receiver can spot a repeat."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(key) if key else make_msgid()
    if unsubscribe_link:  # RFC 8058: a mail client may unsubscribe with one POST to this address
        message["List-Unsubscribe"] = f"<{unsubscribe_link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(body)
    return message


@lru_cache(maxsize=256)
def _encoded_header(value: str) -> str:
    """Return a header's value as RFC 2047 words when it is not plain ASCII (a batch shares its subject: cached)."""
    if value.isascii() and "\n" not in value and "\r" not in value:
        return value
    return Header(value.replace("\r", " ").replace("\n", " "), "utf-8", header_name="Subject").encode(
        linesep="\r\n")


def render_message(sender: str, to: str, subject: str, body: str, *, key: str,
                   unsubscribe_link: str | None = None) -> bytes:
    """Return a plain-text message as bytes, the same one ``build_message`` makes, about ten times faster.

    The modern ``EmailMessage`` costs milliseconds a message, the most expensive step of a 40,000-member fan-out;
    this writes the same headers and a base64 UTF-8 body directly. A non-ASCII address falls back to it.
    """
    if not to.isascii():
        return build_message(to, subject, body, key=key, unsubscribe_link=unsubscribe_link).as_bytes()
    lines = [f"From: {_encoded_header(sender)}", f"To: {to}", f"Subject: {_encoded_header(subject)}",
             f"Date: {formatdate(usegmt=True)}", f"Message-ID: {message_id(key)}"]
    if unsubscribe_link:
        lines += [f"List-Unsubscribe: <{unsubscribe_link}>", "List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
    lines += ["MIME-Version: 1.0", 'Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: base64"]
    content = base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + content


class _Connection:
    """One SMTP conversation for a batch of messages, opened at the first message."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        self.send_bytes(message["To"], message.as_bytes(), message)

    def send_bytes(self, to: str, data: bytes, message: EmailMessage | None = None) -> None:
        config = current_app.config
        outbox = current_app.extensions.get("mail_outbox")
        if outbox is not None:  # tests read what would have been sent
            outbox.append(message or message_from_bytes(data, policy=policy.default))
        if not config.get("MAIL_SERVER"):
            # A message holds invitation and reset links: its body reaches the log only on a developer's machine.
            if current_app.debug:
                current_app.logger.info("Mail not sent (no mail server configured):\n%s",
                                        message or data.decode("ascii", "replace"))
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
        self.smtp.sendmail(parseaddr(config["MAIL_SENDER"])[1] or config["MAIL_SENDER"], [to], data)

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


_CLAIMED = (OutgoingMail.id, OutgoingMail.key, OutgoingMail.user_id, OutgoingMail.address, OutgoingMail.subject,
            OutgoingMail.body, OutgoingMail.unsubscribe_kind, OutgoingMail.attempts)


def _claimable(now):
    return or_((OutgoingMail.status == MailStatus.PENDING) & (OutgoingMail.next_attempt_at <= now),
               (OutgoingMail.status == MailStatus.SENDING) & (OutgoingMail.claimed_until < now))


def _claim(mail_ids: list[int]) -> tuple[datetime, list]:
    """Claim the waiting messages among ``mail_ids`` in one statement; return the claim and the rows, in order.

    PostgreSQL locks the rows it claims and skips those another worker is claiming (``FOR UPDATE SKIP LOCKED``),
    then checks again that each is still waiting; SQLite runs the statement alone. The claim's end time is this
    worker's token: it only grows (a message is claimed again only once its claim ran out), so a worker marks sent
    or renews only what it still holds.
    """
    now = utcnow()
    until = now + timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])
    waiting = (select(OutgoingMail.id).where(OutgoingMail.id.in_(mail_ids), _claimable(now))
               .with_for_update(skip_locked=True))
    rows = db.session.execute(
        update(OutgoingMail).where(OutgoingMail.id.in_(waiting), _claimable(now))
        .values(status=MailStatus.SENDING, claimed_until=until).returning(*_CLAIMED)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    return until, sorted(rows, key=lambda row: row.id)


def _renew(ids: list[int], claim: datetime) -> tuple[datetime, set[int]]:
    """Extend the claim on the messages still to send; return the new claim and the ids this worker still holds."""
    until = utcnow() + timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])
    held = set(db.session.scalars(
        update(OutgoingMail)
        .where(OutgoingMail.id.in_(ids), OutgoingMail.status == MailStatus.SENDING,
               OutgoingMail.claimed_until == claim)
        .values(claimed_until=until).returning(OutgoingMail.id).execution_options(synchronize_session=False)))
    db.session.commit()
    return until, held


_MARK_SENT_SQL = ("UPDATE outgoing_mail SET status = %s, sent_at = %s, body = '', claimed_until = NULL "
                  "WHERE id = %s AND claimed_until = %s")


class _Marks:
    """Record messages as sent one by one, each at once, on a connection of its own in autocommit.

    One statement a message is the price of never sending a message twice: a worker killed after a mark sends
    that message no second time, and one killed between the server's answer and the mark leaves at most that one
    message to send again. Each mark is one round trip, its own transaction. On PostgreSQL they do not wait for
    the disk (``synchronous_commit`` off, on this connection only, reset before it goes back to the pool): a
    killed worker loses no mark, and only a crash of the database server itself could forget the last fraction of
    a second's.
    """

    def __init__(self) -> None:
        self.connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.is_postgresql = self.connection.dialect.name == "postgresql"
        self.cursor = None
        if self.is_postgresql:  # the driver's own cursor: a mark costs one round trip and no statement compiling
            self.connection.exec_driver_sql("SET synchronous_commit TO OFF")
            self.cursor = self.connection.connection.dbapi_connection.cursor()
        self.statement = (
            update(OutgoingMail)
            .where(OutgoingMail.id == bindparam("mail_id"), OutgoingMail.claimed_until == bindparam("claim"))
            .values(status=MailStatus.SENT, sent_at=bindparam("now"), body="", claimed_until=None))

    def sent(self, mail_id: int, claim: datetime) -> None:
        if self.cursor is not None:
            self.cursor.execute(_MARK_SENT_SQL, (MailStatus.SENT.value, utcnow(), mail_id, claim))
        else:
            self.connection.execute(self.statement, {"mail_id": mail_id, "claim": claim, "now": utcnow()})

    def close(self) -> None:
        try:
            if self.cursor is not None:
                self.cursor.close()
                self.connection.exec_driver_sql("RESET synchronous_commit")
        finally:
            self.connection.close()


def deliver(mail_ids: list[int]) -> tuple[list[int], int] | None:
    """Send the waiting messages among ``mail_ids`` over one connection; return what to try again, and when.

    The batch is claimed in one statement (see ``_claim``), so two workers never send the same message. Each
    message is marked sent as soon as the server took it. The claim lasts ``JOBS_STALE_SECONDS`` and is renewed
    for the rest of the batch whenever half of it has gone by, so a slow mail server never lets another worker
    claim a message this one is still sending. A worker killed mid-batch leaves its unsent messages claimed until
    the claim runs out; then the sweeper queues them again.
    """
    claim, rows = _claim(mail_ids)
    if not rows:
        return None
    held = {row.id for row in rows}
    marks = _Marks()
    with _connection() as connection:
        try:
            return _send_claimed(connection, marks, rows, claim, held)
        finally:
            marks.close()


def _send_claimed(connection: _Connection, marks: _Marks, rows: list, claim: datetime,
                  held: set[int]) -> tuple[list[int], int] | None:
    """Send the claimed rows in order, renewing the claim whenever half of it has gone by (see ``deliver``)."""
    half = timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"] / 2)
    sender = current_app.config["MAIL_SENDER"]
    for index, row in enumerate(rows):
        if claim - utcnow() < half:
            claim, held = _renew([later.id for later in rows[index:] if later.id in held], claim)
        if row.id not in held:  # its claim ran out and another worker took it: theirs to send
            continue
        link = unsubscribe_link(row.user_id, row.unsubscribe_kind) if row.unsubscribe_kind else None
        data = render_message(sender, row.address, row.subject, row.body, key=row.key, unsubscribe_link=link)
        try:
            connection.send_bytes(row.address, data)
        except (OSError, smtplib.SMTPException) as error:
            return _postpone([later for later in rows[index:] if later.id in held], claim, error)
        marks.sent(row.id, claim)
    return None


def _postpone(rows: list, claim: datetime, error: Exception) -> tuple[list[int], int] | None:
    """Put the unsent messages back to wait, each with one more failed try; the dead ones stop there."""
    current_app.logger.warning("Mail server unavailable (%s: %s); %d message(s) wait for the next try",
                               type(error).__name__, error, len(rows))
    most = current_app.config["MAIL_MAX_ATTEMPTS"]
    now = utcnow()
    reason = f"{type(error).__name__}: {error}"[:500]
    retry_ids: list[int] = []
    attempts = 1
    for row in rows:
        tries = row.attempts + 1
        values: dict[str, Any] = {"attempts": tries, "error": reason, "claimed_until": None}
        if tries >= most:
            values["status"] = MailStatus.DEAD
        else:
            values.update(status=MailStatus.PENDING, next_attempt_at=now + timedelta(seconds=retry_delay(tries)))
            retry_ids.append(row.id)
            attempts = max(attempts, tries)
        db.session.execute(update(OutgoingMail).where(OutgoingMail.id == row.id, OutgoingMail.claimed_until == claim)
                           .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    return (retry_ids, retry_delay(attempts)) if retry_ids else None
