"""Background work: fan-outs and mail as jobs, idempotent under retries and killed workers, delayed but never lost
when the mail server is down, and out of tries in the site administrator's dead-letter list."""

from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import func, select, update

from deliberate import background
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.jobs import services as jobs
from deliberate.mail import deliver, queue_mail
from deliberate.models import (
    Consultation,
    Fanout,
    Job,
    JobStatus,
    MailStatus,
    Notification,
    Organization,
    OutgoingMail,
    User,
    utcnow,
)
from deliberate.notifications.services import fan_out, notify, notify_federation
from tests.factories import login
from tests.smtp_sink import SmtpSink, free_port


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _notify_federation(app, federation):
    with app.app_context():
        notify_federation(db.session.get(Organization, federation.id), "phase_changed",
                          {"title_es": "Agenda 2027", "title_en": "2027 agenda", "phase": "voting"}, "/c/1")
        db.session.commit()


def _members(world) -> set[str]:
    return {world[name].email for name in ("member", "officer", "board", "admin", "other_club_member")}


def test_a_federation_notification_reaches_each_active_member_once_and_no_outsider(app, federation_world, outbox):
    _notify_federation(app, federation_world["federation"])
    assert sorted(message["To"] for message in outbox) == sorted(_members(federation_world))
    with app.app_context():
        assert _count(Notification) == 5
        assert _count(OutgoingMail, OutgoingMail.status == MailStatus.SENT) == 5
        assert _count(Job, Job.status == JobStatus.DONE) == 1


def test_a_fan_out_run_again_writes_nobody_twice(app, federation_world, outbox):
    _notify_federation(app, federation_world["federation"])
    with app.app_context():
        job = db.session.scalar(select(Job))
        fan_out(job, job.args[0])  # a worker killed after its work, before saying so: the job runs again
        db.session.commit()
        assert _count(Notification) == 5
        assert _count(OutgoingMail) == 5
    assert len(outbox) == 5


def test_a_job_killed_mid_way_is_resumed_by_the_sweeper_without_losing_or_repeating_anyone(
        app, federation_world, outbox):
    with app.app_context():
        federation = db.session.get(Organization, federation_world["federation"].id)
        fanout = Fanout(kind="phase_changed", params={"title_es": "A", "title_en": "A", "phase": "voting"},
                        link="/c/1", audience="federation", federation_id=federation.id, created_at=utcnow())
        db.session.add(fanout)
        db.session.flush()
        long_ago = utcnow() - timedelta(hours=1)
        # the worker had claimed it, written one person's notification, and was killed (kill -9): no more heartbeat
        job = Job(name="notifications.fan_out", args=[fanout.id], status=JobStatus.RUNNING, attempts=1,
                  run_after=long_ago, created_at=long_ago, updated_at=long_ago)
        db.session.add(job)
        db.session.add(Notification(user_id=federation_world["member"].id, kind="phase_changed", params={},
                                    key=f"fanout:{fanout.id}:{federation_world['member'].id}"))
        db.session.commit()
        assert jobs.sweep() == (1, 0)
        assert db.session.get(Job, job.id).status is JobStatus.DONE
        assert _count(Notification) == 5
    # the person already notified was not mailed again; the four others were mailed once each
    assert sorted(message["To"] for message in outbox) == sorted(_members(federation_world) - {
        federation_world["member"].email})


def test_a_rolled_back_request_queues_no_job(app, create_user, outbox):
    ana = create_user("Ana")
    with app.app_context():
        notify([db.session.get(User, ana.id)], "phase_changed", {}, None)
        db.session.rollback()
        assert _count(Job) == 0
    assert outbox == []


def test_the_queue_carries_only_ids(app, federation_world, make_app):
    redisless = make_app(JOBS_IMMEDIATE=False, JOBS_SQLITE_PATH=str(app.instance_path) + "/jobs-test.sqlite3")
    queue = redisless.extensions["jobs"].huey
    queue.flush()
    with redisless.app_context():
        notify_federation(db.session.get(Organization, federation_world["federation"].id), "phase_changed",
                          {"title_es": "Agua para Jerez", "phase": "voting"}, "/c/1")
        db.session.commit()
    [task] = queue.pending()
    assert task.name == "run_job"
    assert all(isinstance(arg, int) for arg in task.args)
    assert "Jerez" not in repr(task.data)


def _mail_app(make_app, port: int):
    return make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)


def test_a_mail_server_that_is_down_delays_the_mail_and_loses_none(make_app, create_user):
    ana = create_user("Ana")
    port = free_port()  # nothing listens there yet
    site = _mail_app(make_app, port)
    with site.app_context():
        queue_mail(ana.email, "Hola", "Texto", key="test:1", user_id=ana.id)
        db.session.commit()
        mail = db.session.scalar(select(OutgoingMail))
        assert mail.status is MailStatus.PENDING
        assert mail.attempts == 1
        assert mail.next_attempt_at > utcnow()
        assert "ConnectionRefusedError" in mail.error
        with SmtpSink(port) as sink:
            assert deliver([mail.id]) is None
            assert sink.messages == []  # not before its next try
            db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow() - timedelta(minutes=10)))
            db.session.commit()
            jobs.sweep()  # the scheduled retry, as the sweeper would queue it had the queue lost it
            [received] = sink.messages
        assert received["To"] == ana.email
        mail = db.session.scalar(select(OutgoingMail))
        assert mail.status is MailStatus.SENT
        assert mail.body == ""  # the text is not kept once delivered


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_list_where_an_admin_retries_it(
        make_app, create_user):
    admin, ana = create_user("Admin", is_admin=True), create_user("Ana")
    port = free_port()
    site = _mail_app(make_app, port)
    with site.app_context():
        site.config["MAIL_MAX_ATTEMPTS"] = 2
        queue_mail(ana.email, "Hola", "Texto", key="test:dead", user_id=ana.id)
        db.session.commit()
        mail = db.session.scalar(select(OutgoingMail))
        db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
        db.session.commit()
        deliver([mail.id])
        assert db.session.get(OutgoingMail, mail.id).status is MailStatus.DEAD
    browser = site.test_client()
    login(browser, ana)
    assert browser.get("/admin/jobs").status_code == 404
    browser.post("/account/logout")
    login(browser, admin)
    page = browser.get("/admin/jobs").get_data(as_text=True)
    assert "Emails that could not be delivered" in page
    assert "ConnectionRefusedError" in page
    assert "example.org" in page and ana.email not in page  # the domain, not the address
    with SmtpSink(port) as sink:
        response = browser.post(f"/admin/mail/{mail.id}/retry")
        assert response.status_code == 302
        assert len(sink.messages) == 1
    with site.app_context():
        assert db.session.get(OutgoingMail, mail.id).status is MailStatus.SENT


def test_a_failing_job_is_retried_with_a_growing_delay_then_dead(ctx, monkeypatch):
    calls = []

    @background.register("test.always_fails")
    def always_fails(job, value):
        calls.append(value)
        raise RuntimeError("the engine broke")

    ctx.config["JOBS_MAX_ATTEMPTS"] = 3
    job = background.queue("test.always_fails", 7)
    db.session.commit()  # runs at once (tests): first try
    delays = [jobs.run(job.id), jobs.run(job.id)]
    assert calls == [7, 7, 7]
    assert delays[0] > 0 and delays[1] is None
    job = db.session.get(Job, job.id)
    assert job.status is JobStatus.DEAD
    assert job.error == "RuntimeError: the engine broke"
    assert jobs.dead_letters()[0] == [job]


def test_a_keyed_job_asked_for_again_while_it_waits_is_the_same_job(ctx):
    @background.register("test.noop")
    def noop(job):
        return None

    first = background.queue("test.noop", key="same", delay=60)
    second = background.queue("test.noop", key="same", delay=60)
    db.session.commit()
    assert first.id == second.id
    assert _count(Job) == 1


def test_a_phase_change_returns_without_writing_the_members_notifications_itself(
        app, client, federation_world, make_app):
    """The request records the fan-out; the notifications are written by the job (here: not yet run)."""
    from tests.test_consultations import make_consultation

    queued = make_app(JOBS_IMMEDIATE=False, JOBS_SQLITE_PATH=str(app.instance_path) + "/jobs-phase.sqlite3")
    consultation_id = make_consultation(queued, federation_world, Phase.DRAFT)
    with queued.app_context():
        from deliberate.consultations.services import advance_phase

        advance_phase(db.session.get(Consultation, consultation_id), db.session.get(User, federation_world[
            "board"].id), Phase.DRAFT, Phase.COLLECTING, confirmed=True)
        assert _count(Notification) == 0
        assert _count(Fanout) == 1
        assert jobs.run_waiting() == 1
        assert _count(Notification) == 5


# --- the real queue: Redis, and a worker process ------------------------------------------------------------------

#: The Redis the tests use (a database number of their own: DELIBERATE_TEST_REDIS_URL).
REDIS_URL = os.environ.get("DELIBERATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_app(make_app, **settings):
    import uuid

    return make_app(JOBS_IMMEDIATE=False, REDIS_URL=REDIS_URL, JOBS_QUEUE=f"deliberate-test-{uuid.uuid4().hex[:12]}",
                    **settings)


def test_jobs_go_through_redis_and_a_worker_drains_them(make_app, federation_world):
    site = _redis_app(make_app)
    queue = site.extensions["jobs"].huey
    try:
        with site.app_context():
            notify_federation(db.session.get(Organization, federation_world["federation"].id), "phase_changed",
                              {"title_es": "Agenda", "phase": "voting"}, "/c/1")
            db.session.commit()
        assert queue.pending_count() == 1
        while (task := queue.dequeue()) is not None:  # what a worker does, one task at a time
            queue.execute(task)
        with site.app_context():
            assert _count(Notification) == 5
            assert _count(OutgoingMail, OutgoingMail.status == MailStatus.SENT) == 5
        assert sorted(message["To"] for message in site.extensions["mail_outbox"]) == sorted(
            _members(federation_world))
    finally:
        queue.flush()


def test_the_worker_command_delivers_a_federations_mail_to_an_smtp_server(
        app, app_config, make_app, federation_world, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    with SmtpSink() as sink:
        site = _redis_app(make_app, MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_USE_TLS=False)
        queue = site.extensions["jobs"].huey
        environment = {**os.environ, "DELIBERATE_DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
                       "DELIBERATE_REDIS_URL": site.config["REDIS_URL"], "DELIBERATE_JOBS_QUEUE": queue.name,
                       "DELIBERATE_MAIL_SERVER": "127.0.0.1", "DELIBERATE_MAIL_PORT": str(sink.port),
                       "DELIBERATE_MAIL_USE_TLS": "0", "DELIBERATE_SECRET_KEY": "test-secret-for-the-worker",
                       "DELIBERATE_BASE_URL": "http://localhost", "DELIBERATE_INSTANCE_PATH": str(tmp_path / "w")}
        command = [sys.executable, "-c", "from deliberate.cli import main; main()", "worker", "--no-periodic"]
        worker = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            with site.app_context():
                notify_federation(db.session.get(Organization, federation_world["federation"].id), "phase_changed",
                                  {"title_es": "Agenda", "phase": "voting"}, "/c/1")
                db.session.commit()
            deadline = time.monotonic() + 120  # a real worker on a loaded machine: wait for it, not for a time
            while len(sink.messages) < 5 and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGTERM)
            errors = worker.communicate(timeout=60)[1].decode()
            queue.flush()
        received = sorted(message["To"] for message in sink.messages)
    assert received == sorted(_members(federation_world)), errors[-2000:]
    assert all(message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for message in sink.messages)
