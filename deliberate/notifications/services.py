"""Notify members: a request records a fan-out and returns; a job writes each person's notification and email.

``notify`` and ``notify_federation`` never commit: the calling service commits, and the fan-out job is queued
only after that commit succeeds (a rolled-back transaction notifies nobody). The job (:func:`fan_out`) writes, for
each person, one notification with the idempotency key ``fanout:<fan-out id>:<user id>`` and, as the person
chose for the notification's topic (see ``TOPICS``), an email at once (key ``notification:<fan-out>:<user>``), a
place in their daily or weekly digest, or nothing more than the notification in the site. Run twice (a killed
worker), it writes nobody twice. Emails are written in each person's language and carry a one-click unsubscribe.

Kinds and the params their texts use (missing params are tolerated):

- ``phase_changed``: ``consultation_id``, ``title_es``, ``title_en``, ``phase`` (the new phase's value)
- ``phase_stepped_back``: the same, and the board's ``reason``
- ``reminder``: ``consultation_id``, ``title_es``, ``title_en``, ``phase``, ``until`` (ISO date of the last day)
- ``argument_on_my_demand``: ``demand_id``, ``demand_title``, ``side`` (``"for"`` or ``"against"``)
- ``content_hidden`` (to the author): ``subject_type`` (``"demand"`` or ``"argument"``), ``title`` (the demand's
  title), ``reason``
- ``content_kept`` (to the people who reported it): ``subject_type``, ``title``
- ``demand_linked`` (to the author, from the consolidation workspace): ``demand_id``, ``demand_title``, ``status``
  (``linked``, ``own_item``, ``out_of_scope`` or ``answered`` when the board answered their objection),
  ``item_title_es`` / ``item_title_en`` (linked), ``reason`` (out of scope), ``days`` (the objection window)
- ``event_seat`` (a seat freed up and went to the first person waiting), ``event_cancelled``, ``event_reminder``:
  ``event_id``, ``title_es``, ``title_en``
- ``programme_status`` / ``programme_update``: ``title_es``, ``title_en``, ``status``, ``reason``
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale, format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, insert, or_, select, update

from deliberate import background, labels
from deliberate.domain.timezones import to_local
from deliberate.extensions import db
from deliberate.mail import absolute_link, unsubscribe_link
from deliberate.models import (
    Audience,
    BallotCast,
    Delivery,
    Demand,
    Fanout,
    Job,
    MailStatus,
    Membership,
    MembershipStatus,
    Notification,
    NotificationPreference,
    Organization,
    OutgoingMail,
    Reaction,
    User,
    utcnow,
)

#: The topics a member chooses a delivery for, and the kinds of notification each one holds.
TOPICS: dict[str, tuple[str, ...]] = {
    "phases": ("phase_changed", "phase_stepped_back"),
    "reminders": ("reminder",),
    "my_content": ("argument_on_my_demand", "demand_linked", "content_hidden", "content_kept"),
    "programmes": ("programme_status", "programme_update"),
    "events": ("event_seat", "event_cancelled", "event_reminder", "mentoring_paired"),
}
TOPIC_OF = {kind: topic for topic, kinds in TOPICS.items() for kind in kinds}
#: The token topic that stops every email (a digest's unsubscribe link).
ALL_TOPICS = "all"
CHUNK = 500


def notify(users: Iterable[User], kind: str, params: dict, link: str | None) -> None:
    """Record one notification for these people in the current transaction; a job writes it after the commit."""
    ids = sorted({user.id for user in users if user is not None and not user.is_deleted and not user.is_pseudonymous})
    if ids:
        _record(Fanout(kind=kind, params=dict(params or {}), link=link, audience=Audience.USERS, user_ids=ids))


def notify_federation(federation: Organization, kind: str, params: dict, link: str | None) -> None:
    """Record one notification for every active member of a federation (its clubs and its board)."""
    _record(Fanout(kind=kind, params=dict(params or {}), link=link, audience=Audience.FEDERATION,
                   federation_id=federation.id))


def _record(fanout: Fanout) -> Job:
    fanout.created_at = utcnow()
    db.session.add(fanout)
    db.session.flush()
    return background.queue("notifications.fan_out", fanout.id, organization_id=fanout.federation_id)


def _federation_members(federation_id: int):
    organization_ids = select(Organization.id).where(
        or_(Organization.id == federation_id, Organization.parent_id == federation_id))
    return (select(Membership.user_id)
            .where(Membership.organization_id.in_(organization_ids), Membership.status == MembershipStatus.ACTIVE)
            .distinct())


def audience_ids(fanout: Fanout) -> list[int]:
    """Return the ids of the people a fan-out reaches, worked out now."""
    if fanout.audience is Audience.USERS:
        return sorted(set(fanout.user_ids or ()))
    members = _federation_members(fanout.federation_id)
    query = select(User.id).where(User.id.in_(members), User.is_deleted.is_(False),
                                  User.is_pseudonymous.is_(False))
    if fanout.audience is Audience.NOT_REACTED:
        reacted = (select(Reaction.user_id).join(Demand, Demand.id == Reaction.demand_id)
                   .where(Demand.consultation_id == fanout.consultation_id))
        query = query.where(User.id.not_in(reacted))
    elif fanout.audience is Audience.NOT_VOTED:  # who has cast, never what: the ballots are not read
        cast = select(BallotCast.user_id).where(BallotCast.consultation_id == fanout.consultation_id)
        query = query.where(User.id.not_in(cast))
    return list(db.session.scalars(query.order_by(User.id)))


@background.register("notifications.fan_out")
def fan_out(job: Job, fanout_id: int) -> dict:
    """Write each person's notification, and the emails they chose, in chunks; idempotent (see the module)."""
    fanout = db.session.get(Fanout, fanout_id)
    if fanout is None:
        return {"notified": 0}
    ids = audience_ids(fanout)
    topic = TOPIC_OF.get(fanout.kind, "my_content")  # a kind with no topic yet still has a working unsubscribe
    background.progress(job, 0, len(ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        written += _fan_out_chunk(fanout, topic, ids[start:start + CHUNK])
        background.progress(job, min(start + CHUNK, len(ids)))
    return {"notified": written}


def _fan_out_chunk(fanout: Fanout, topic: str, chunk: list[int]) -> int:
    keys = {user_id: f"fanout:{fanout.id}:{user_id}" for user_id in chunk}
    done = set(db.session.scalars(select(Notification.user_id).where(Notification.key.in_(list(keys.values())))))
    todo = [user_id for user_id in chunk if user_id not in done]
    if not todo:
        return 0
    chosen = dict(db.session.execute(
        select(NotificationPreference.user_id, NotificationPreference.delivery)
        .where(NotificationPreference.user_id.in_(todo), NotificationPreference.topic == topic)).all())
    now = utcnow()
    rows, to_mail = [], []
    for user_id in todo:
        delivery = chosen.get(user_id, Delivery.IMMEDIATE)
        rows.append({"user_id": user_id, "kind": fanout.kind, "params": fanout.params, "link": fanout.link,
                     "key": keys[user_id], "created_at": now,
                     "digest": delivery.value if delivery in (Delivery.DAILY, Delivery.WEEKLY) else None})
        if delivery is Delivery.IMMEDIATE:
            to_mail.append(user_id)
    db.session.execute(insert(Notification), rows)
    if to_mail:
        people = db.session.execute(select(User.id, User.email, User.display_name, User.locale)
                                    .where(User.id.in_(to_mail))).all()
        sample = Notification(kind=fanout.kind, params=fanout.params, link=fanout.link)
        mails = [{"key": f"notification:{fanout.id}:{person.id}", "user_id": person.id, "address": person.email,
                  "subject": subject, "body": body, "unsubscribe_kind": topic}
                 for person, (subject, body) in zip(people, _compose_many(people, sample, topic), strict=True)]
        _store_mails(mails)
    return len(rows)


def _store_mails(mails: list[dict]) -> None:
    """Insert messages (their keys new in this transaction) and queue them in batches after the commit."""
    if not mails:
        return
    now = utcnow()
    for mail in mails:
        mail.update(status=MailStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now)
    ids = list(db.session.scalars(insert(OutgoingMail).returning(OutgoingMail.id), mails))
    size = current_app.config["MAIL_BATCH"]
    for start in range(0, len(ids), size):
        background.after_commit("deliver_mail", ids[start:start + size])


def _person_locale(locale: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    return locale if locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def _compose_many(people, notification: Notification, topic: str) -> list[tuple[str, str]]:
    """Write one notification's email for many people, each in their language: [(subject, body)] in their order."""
    link = absolute_link(notification.link) if notification.link else None
    by_locale: dict[str, list[int]] = defaultdict(list)
    for index, person in enumerate(people):
        by_locale[_person_locale(person.locale)].append(index)
    written: list[tuple[str, str] | None] = [None] * len(people)
    for locale, indexes in by_locale.items():
        with force_locale(locale):
            text = describe(notification)
            subject = _("deliberate: %(text)s", text=_shorten(text, 90))
            tail = [text]
            if link:
                tail.append(_("See it here: %(link)s", link=link))
            tail.append(_("You receive this message because you take part in a federation on deliberate."))
            for index in indexes:
                person = people[index]
                parts = [_("Hello %(name)s,", name=person.display_name), *tail,
                         _("To stop these emails, open: %(link)s", link=unsubscribe_link(person.id, topic))]
                written[index] = (subject, "\n\n".join(parts))
    return written  # type: ignore[return-value]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- digests ------------------------------------------------------------------------------------------------------

@background.register("notifications.digests")
def write_digests(job: Job, frequency: str, federation_id: int | None = None) -> dict:
    """Write each member's daily or weekly digest of what waits for it, in their language; idempotent.

    With ``federation_id``, only that federation's members (its digests go out on its own clock, see
    :func:`queue_due_digests`). A digest's key names its member and its newest notification, and the notifications
    it holds leave the digest's waiting list in the same transaction: run again, it writes nobody's digest twice.
    Each chunk of members is written language by language, and a notification sent to thousands (a phase change)
    is described once per language, not once per member.
    """
    waiting = select(Notification.user_id).where(Notification.digest == frequency)
    if federation_id is not None:
        waiting = waiting.where(Notification.user_id.in_(_federation_members(federation_id)))
    total = db.session.scalar(select(func.count()).select_from(waiting.distinct().subquery())) or 0
    background.progress(job, 0, total)
    written, seen, after = 0, 0, 0
    texts: dict[tuple, str] = {}
    while True:
        chunk = list(db.session.scalars(waiting.where(Notification.user_id > after).distinct()
                                        .order_by(Notification.user_id).limit(CHUNK)))
        if not chunk:
            break
        after = chunk[-1]
        grouped: dict[int, list] = defaultdict(list)
        ids = []
        for row in db.session.execute(
                select(Notification.id, Notification.user_id, Notification.kind, Notification.params,
                       Notification.link)
                .where(Notification.user_id.in_(chunk), Notification.digest == frequency)
                .order_by(Notification.user_id, Notification.id)):
            grouped[row.user_id].append(row)
            ids.append(row.id)
        people = db.session.execute(
            select(User.id, User.email, User.display_name, User.locale)
            .where(User.id.in_(list(grouped)), User.is_deleted.is_(False)).order_by(User.id)).all()
        mails = _compose_digests(people, grouped, frequency, texts)
        existing = set(db.session.scalars(select(OutgoingMail.key).where(
            OutgoingMail.key.in_([mail["key"] for mail in mails]))))
        _store_mails([mail for mail in mails if mail["key"] not in existing])
        db.session.execute(update(Notification).where(Notification.id.in_(ids))
                           .values(digest=None).execution_options(synchronize_session=False))
        written += len(mails)
        seen += len(chunk)
        background.progress(job, min(seen, total))
    return {"digests": written}


def _compose_digests(people, grouped: dict[int, list], frequency: str, texts: dict[tuple, str]) -> list[dict]:
    """Write the digests of a chunk of members, each in their language, as rows for ``_store_mails``."""
    by_locale: dict[str, list] = defaultdict(list)
    for person in people:
        by_locale[_person_locale(person.locale)].append(person)
    mails = []
    for locale, persons in by_locale.items():
        with force_locale(locale):
            greeting = _("Here is what happened in your federation on deliberate:")
            settings = _("To choose which emails you receive: %(link)s",
                         link=absolute_link("/notifications/settings"))
            for person in persons:
                items = grouped[person.id]
                lines = [_("Hello %(name)s,", name=person.display_name), greeting]
                for item in items:
                    key = (locale, item.kind, json.dumps(item.params, sort_keys=True, default=str), item.link)
                    if key not in texts:
                        line = "- " + describe(Notification(kind=item.kind, params=item.params, link=item.link))
                        if item.link:
                            line += "\n  " + absolute_link(item.link)
                        texts[key] = line
                    lines.append(texts[key])
                lines.append(settings)
                lines.append(_("To stop these emails, open: %(link)s", link=unsubscribe_link(person.id, ALL_TOPICS)))
                if frequency == "weekly":
                    subject = _("deliberate: your weekly summary (%(num)d)", num=len(items))
                else:
                    subject = _("deliberate: your daily summary (%(num)d)", num=len(items))
                mails.append({"key": f"digest:{frequency}:{person.id}:{items[-1].id}", "user_id": person.id,
                              "address": person.email, "subject": subject, "body": "\n\n".join(lines),
                              "unsubscribe_kind": ALL_TOPICS})
    return mails


# --- preferences --------------------------------------------------------------------------------------------------

def preferences_of(user: User) -> dict[str, Delivery]:
    """Return the member's delivery for each topic (an email at once where they chose nothing)."""
    chosen = dict(db.session.execute(select(NotificationPreference.topic, NotificationPreference.delivery)
                                     .where(NotificationPreference.user_id == user.id)).all())
    return {topic: chosen.get(topic, Delivery.IMMEDIATE) for topic in TOPICS}


def set_preferences(user_id: int, choices: dict[str, Delivery]) -> None:
    """Store the member's delivery for the topics given (unknown topics are ignored)."""
    rows = {row.topic: row for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id))}
    for topic, delivery in choices.items():
        if topic not in TOPICS:
            continue
        if topic in rows:
            rows[topic].delivery = delivery
        else:
            db.session.add(NotificationPreference(user_id=user_id, topic=topic, delivery=delivery))
    db.session.commit()


def unsubscribe(token_user_id: int, topic: str) -> None:
    """Stop one topic's emails (or all of them) for a member: they keep seeing notifications on the site."""
    topics = list(TOPICS) if topic == ALL_TOPICS else [topic] if topic in TOPICS else []
    if db.session.get(User, token_user_id) is None or not topics:
        return
    set_preferences(token_user_id, dict.fromkeys(topics, Delivery.IN_APP))


def _locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def describe(notification: Notification) -> str:
    """Return the notification's text in the current language."""
    params = notification.params or {}
    kind = notification.kind
    if kind == "phase_changed":
        locale = _locale()
        title = labels.in_language(params.get("title_es"), params.get("title_en"), locale)
        return _("The consultation “%(title)s” has moved to a new phase: %(phase)s.",
                 title=title, phase=labels.phase_name(params.get("phase", "")))
    if kind == "phase_stepped_back":
        locale = _locale()
        title = labels.in_language(params.get("title_es"), params.get("title_en"), locale)
        return _("The board moved the consultation “%(title)s” back to the phase %(phase)s. Reason: %(reason)s",
                 title=title, phase=labels.phase_name(params.get("phase", "")), reason=params.get("reason", ""))
    if kind == "reminder":
        locale = _locale()
        title = (params.get("title_en") if locale == "en" else None) or params.get("title_es") or params.get(
            "title_en", "")
        try:
            day = format_date(date.fromisoformat(params.get("until", "")), "long")
        except (TypeError, ValueError):
            day = params.get("until", "")
        if params.get("phase") == "voting":
            return _("Voting on “%(title)s” closes on %(day)s and you have not voted yet. Your ballot is secret.",
                     title=title, day=day)
        return _("The phase “%(phase)s” of “%(title)s” ends on %(day)s and you have not reacted to any demand "
                 "yet.", title=title, day=day, phase=labels.phase_name(params.get("phase", "")))
    if kind in ("programme_status", "programme_update"):
        locale = _locale()
        title = labels.in_language(params.get("title_es"), params.get("title_en"), locale)
        if kind == "programme_update":
            return _("The programme “%(title)s” has a new update.", title=title)
        reason = params.get("reason")
        if reason:
            return _("The programme “%(title)s” has a new status: %(status)s. Reason: %(reason)s", title=title,
                     status=labels.programme_status_name(params.get("status")), reason=reason)
        return _("The programme “%(title)s” has a new status: %(status)s.", title=title,
                 status=labels.programme_status_name(params.get("status")))
    if kind in ("event_seat", "event_cancelled", "event_reminder"):
        locale = _locale()
        title = labels.in_language(params.get("title_es"), params.get("title_en"), locale)
        if kind == "event_seat":
            return _("A seat freed up at “%(title)s”: it is yours now.", title=title)
        if kind == "event_reminder":
            return _("Reminder: “%(title)s” is coming soon, and you have a seat.", title=title)
        return _("The event “%(title)s” was called off.", title=title)
    if kind == "mentoring_paired":
        return _("The board made a mentoring pairing with you: see who, and record your meetings.")
    if kind == "argument_on_my_demand":
        title = params.get("demand_title", "")
        if params.get("side") == "against":
            return _("Someone wrote an argument against your demand “%(title)s”.", title=title)
        return _("Someone wrote an argument in favour of your demand “%(title)s”.", title=title)
    is_argument = (params.get("subject_type") or params.get("subject")) == "argument"
    if kind == "content_hidden":
        title, reason = params.get("title", ""), params.get("reason", "")
        if is_argument:
            return _("The board hid your argument on “%(title)s”. Reason: %(reason)s", title=title, reason=reason)
        return _("The board hid your demand “%(title)s”. Reason: %(reason)s", title=title, reason=reason)
    if kind == "content_kept":
        title = params.get("title", "")
        if is_argument:
            return _("The board reviewed the argument on “%(title)s” that you reported and decided to keep it.",
                     title=title)
        return _("The board reviewed the demand “%(title)s” that you reported and decided to keep it.", title=title)
    if kind == "demand_linked":
        title, status = params.get("demand_title", ""), params.get("status")
        if status == "answered":
            return _("The board answered your objection about your demand “%(title)s”.", title=title)
        if status == "out_of_scope":
            return _("The board set your demand “%(title)s” aside as out of scope. Reason: %(reason)s You may "
                     "object within %(days)s days.", title=title, reason=params.get("reason", ""),
                     days=params.get("days", ""))
        locale = _locale()
        item = labels.in_language(params.get("item_title_es"), params.get("item_title_en"), locale)
        return _("The board linked your demand “%(title)s” to the agenda item “%(item)s”. You may object within "
                 "%(days)s days.", title=title, item=item, days=params.get("days", ""))
    return _("You have a new notification.")


def unread_count(user: User) -> int:
    """Return how many notifications the person has not read yet."""
    if user is None or not user.is_authenticated:
        return 0
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def page_for(user: User, page: int, per_page: int = 20):
    """Return one page of the person's notifications, newest first."""
    return db.paginate(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc()),
        page=page, per_page=per_page, error_out=False,
    )


def mark_read(user: User, notification_id: int) -> bool:
    """Mark one of the person's notifications read; return False when it is not theirs or does not exist."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return False
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return True


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the person read; return how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0


def queue_digests(frequency: str, now: datetime | None = None, federation_id: int | None = None) -> Job:
    """Queue the run of the daily or weekly digests (one job per frequency, federation and day); commits."""
    day = (now or utcnow()).date().isoformat()
    args = (frequency,) if federation_id is None else (frequency, federation_id)
    job = background.queue("notifications.digests", *args, key=f"digests:{frequency}:{federation_id or 'all'}:{day}",
                     organization_id=federation_id)
    db.session.commit()
    return job


def queue_due_digests(now: datetime | None = None) -> list[Job]:
    """Queue the digests of every federation whose clock reads ``DIGEST_HOUR`` now (run every hour); commits.

    Daily digests go out at that hour of the federation's own day, weekly ones on its Monday: a federation in
    Los Angeles gets its digests in the morning there, not at a fixed hour of UTC. The job's key holds the
    federation's local date, so a second run within the hour (two workers) adds no second job.
    """
    now = now or utcnow()
    hour = current_app.config["DIGEST_HOUR"]
    queued = []
    for federation_id, time_zone in db.session.execute(
            select(Organization.id, Organization.time_zone).where(Organization.parent_id.is_(None))).all():
        local = to_local(now, time_zone)
        if local.hour != hour:
            continue
        frequencies = ("daily", "weekly") if local.weekday() == 0 else ("daily",)
        for frequency in frequencies:
            key = f"digests:{frequency}:{federation_id}:{local.date().isoformat()}"
            queued.append(background.queue("notifications.digests", frequency, federation_id, key=key,
                                     organization_id=federation_id))
    db.session.commit()
    return queued
