"""Each message is sent once: two workers on the same batch, a slow mail server, and a worker killed mid-batch
(kill -9) neither lose nor repeat one. Counted by Message-ID, which follows from each message's idempotency key."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from deliberate.extensions import db
from deliberate.jobs import services as jobs
from deliberate.mail import deliver, queue_mail
from deliberate.models import MailStatus, Organization, OutgoingMail, utcnow
from deliberate.notifications.services import notify_federation
from tests.smtp_sink import SmtpSink
from tests.test_jobs import _members, _redis_app


def _wait_for(condition, seconds: float = 120) -> None:
    """Wait for something a real process does, giving up only after a long time (a loaded machine is slow)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_slow_server_never_lets_a_second_worker_send_a_message_the_first_is_still_sending(
        make_app, create_user):
    people = [create_user(f"Persona {n}") for n in range(6)]
    with SmtpSink(delay=0.3) as sink:  # 6 messages take 1.8 s, longer than the 1 s claim
        site = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_USE_TLS=False, JOBS_IMMEDIATE=False,
                        JOBS_STALE_SECONDS=1, JOBS_SQLITE_PATH=None)
        with site.app_context():
            for person in people:
                queue_mail(person.email, "Hola", "Texto", key=f"slow:{person.id}", user_id=person.id)
            db.session.commit()
            ids = list(db.session.scalars(select(OutgoingMail.id).order_by(OutgoingMail.id)))

        def worker() -> None:
            with site.app_context():
                deliver(ids)

        first = threading.Thread(target=worker)
        first.start()
        _wait_for(lambda: sink.started >= 4)  # past the first claim's end: a worker that did not renew is robbed
        with site.app_context():
            jobs.sweep()  # hands out claims that ran out, if any
            second = threading.Thread(target=worker)
            second.start()
            second.join()
        first.join()
        received = sink.received
    counts = collections.Counter(message_id for _to, message_id in received)
    assert len(counts) == 6
    assert set(counts.values()) == {1}
    with site.app_context():
        assert db.session.scalar(select(func.count()).where(OutgoingMail.status == MailStatus.SENT)) == 6


def test_a_worker_killed_mid_batch_loses_and_repeats_no_email(app, app_config, make_app, federation_world,
                                                              tmp_path):
    with SmtpSink(delay=0.5) as sink:
        site = _redis_app(make_app, MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_USE_TLS=False,
                          JOBS_STALE_SECONDS=2)
        queue = site.extensions["jobs"].huey
        environment = {**os.environ, "DELIBERATE_DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
                       "DELIBERATE_REDIS_URL": site.config["REDIS_URL"], "DELIBERATE_JOBS_QUEUE": queue.name,
                       "DELIBERATE_MAIL_SERVER": "127.0.0.1", "DELIBERATE_MAIL_PORT": str(sink.port),
                       "DELIBERATE_MAIL_USE_TLS": "0", "DELIBERATE_SECRET_KEY": "test-secret-for-the-worker",
                       "DELIBERATE_BASE_URL": "http://localhost", "DELIBERATE_INSTANCE_PATH": str(tmp_path / "w"),
                       "DELIBERATE_JOBS_STALE_SECONDS": "2"}
        command = [sys.executable, "-c", "from deliberate.cli import main; main()", "worker", "--no-periodic"]
        worker = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with site.app_context():
                notify_federation(db.session.get(Organization, federation_world["federation"].id), "phase_changed",
                                  {"title_es": "Agenda", "phase": "voting"}, "/c/1")
                db.session.commit()
            _wait_for(lambda: sink.started >= 3 or worker.poll() is not None)
            worker.send_signal(signal.SIGKILL)  # while the server has not yet accepted the third message
            worker.wait(timeout=60)
            assert sink.count() == 2
            with site.app_context():
                assert db.session.scalar(select(func.count()).where(OutgoingMail.status == MailStatus.SENDING)) == 3
                db.session.execute(update(OutgoingMail).where(OutgoingMail.status == MailStatus.SENDING)
                                   .values(claimed_until=utcnow() - timedelta(seconds=1)))  # the claim ran out
                db.session.commit()
                assert jobs.sweep()[1] == 3
            while (task := queue.dequeue()) is not None:  # another worker takes the dead one's messages
                queue.execute(task)
        finally:
            if worker.poll() is None:
                worker.kill()
            queue.flush()
        received = sink.received
    counts = collections.Counter(message_id for _to, message_id in received)
    assert len(counts) == 5  # nobody lost
    assert set(counts.values()) == {1}  # nobody twice
    assert sorted(to for to, _id in received) == sorted(_members(federation_world))
