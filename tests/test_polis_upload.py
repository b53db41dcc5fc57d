"""A board member uploads a Polis conversation's export through a page; a job imports it and its page shows how far
it has come, then what it imported, or what failed and a way to try again.

Data was gathered using the Polis software (compdemocracy.org/polis) and is sub-licensed under CC BY 4.0 with
Attribution to The Computational Democracy Project (https://compdemocracy.org/case-studies/2022-london-youth-policing).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from deliberate.deliberation import polis_import
from deliberate.domain.errors import PhaseClosed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.jobs import services as jobs
from deliberate.models import Consultation, Demand, Job, JobStatus, Language, PolisUpload, Reaction, Role, User
from tests.factories import login

LONDON = Path(__file__).resolve().parent / "data" / "polis" / "london.youth.policing"


def _files(comments: bytes | None = None, votes: bytes | None = None, **extra) -> dict:
    data = {"comments": (io.BytesIO(comments if comments is not None else (LONDON / "comments.csv").read_bytes()),
                         "comments.csv"),
            "votes": (io.BytesIO(votes if votes is not None else (LONDON / "votes.csv").read_bytes()), "votes.csv"),
            "language": "en"}
    data.update(extra)
    return data


@pytest.fixture
def world(app, federation_world, create_user, add_member):
    with app.app_context():
        consultation = Consultation(federation_id=federation_world["federation"].id, title_es="Consulta Polis",
                                    title_en="Polis consultation", phase=Phase.DELIBERATING)
        db.session.add(consultation)
        db.session.commit()
        federation_world["consultation_id"] = consultation.id
    federation_world["other_board"] = create_user("Other Board")
    add_member(federation_world["other_board"], federation_world["other_federation"], Role.BOARD)
    return federation_world


def _in_spanish(app, user) -> None:
    with app.app_context():
        db.session.get(User, user.id).locale = "es"
        db.session.commit()


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_an_uploaded_export_is_imported_by_a_job_that_then_asks_for_the_opinion_map(app, world):
    with app.app_context():
        consultation = db.session.get(Consultation, world["consultation_id"])
        job = polis_import.queue_upload(consultation, db.session.get(User, world["board"].id), {
            "comments": (LONDON / "comments.csv").read_text(), "votes": (LONDON / "votes.csv").read_text(),
            "summary": None}, Language.EN)  # the job runs at once under tests, after the commit
        job = db.session.get(Job, job.id)
        assert job.status is JobStatus.DONE
        assert (job.done, job.total) == (3, 3)
        assert job.result["demands"] == _count(Demand, Demand.consultation_id == consultation.id) > 0
        assert job.result["reactions"] == _count(Reaction) > 0
        assert job.requested_by_id == world["board"].id
        upload = db.session.scalar(select(PolisUpload))
        assert upload.imported_at is not None and upload.comments == "" and upload.votes == ""  # text erased
        assert db.session.scalar(select(Job).where(Job.name == "opinion.recompute")) is not None  # asked for


def test_an_upload_after_voting_opened_is_refused(app, world):
    with app.app_context():
        consultation = db.session.get(Consultation, world["consultation_id"])
        consultation.phase = Phase.VOTING
        db.session.commit()
        with pytest.raises(PhaseClosed):
            polis_import.queue_upload(consultation, db.session.get(User, world["board"].id),
                                      {"comments": "", "votes": ""}, Language.EN)


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("officer", 403), ("other_board", 403)])
def test_only_the_federations_board_may_upload(app, world, who, status):
    browser = app.test_client()
    login(browser, world[who])
    path = f"/consultations/{world['consultation_id']}/polis"
    assert browser.get(path).status_code == status
    assert browser.post(path, data=_files(), content_type="multipart/form-data").status_code == status
    with app.app_context():
        assert _count(PolisUpload) == 0


def test_an_anonymous_visitor_is_sent_to_log_in(app, world):
    response = app.test_client().get(f"/consultations/{world['consultation_id']}/polis")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_the_board_uploads_and_watches_the_job_then_sees_what_was_imported(app, world, make_app):
    queued = make_app(JOBS_IMMEDIATE=False, JOBS_SQLITE_PATH=str(app.instance_path) + "/jobs-polis.sqlite3")
    browser = queued.test_client()
    login(browser, world["board"])
    path = f"/consultations/{world['consultation_id']}/polis"
    page = browser.get(path).get_data(as_text=True)
    assert "Import a Polis conversation" in page and 'enctype="multipart/form-data"' in page
    response = browser.post(path, data=_files(), content_type="multipart/form-data")
    assert response.status_code == 302
    job_path = response.headers["Location"]
    waiting = browser.get(job_path).get_data(as_text=True)
    assert "<progress" in waiting and 'http-equiv="refresh"' in waiting  # reloads itself without JavaScript
    assert "Waiting to start" in waiting
    with queued.app_context():
        assert _count(Demand) == 0  # nothing imported inside the request
        assert jobs.run_waiting() >= 1
    done = browser.get(job_path).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done
    assert "statements as demands" in done
    progress = browser.get(job_path.rstrip("/") + ".json").get_json()
    assert progress["status"] == "done" and progress["done"] == progress["total"] == 3
    for who in ("member", "other_board"):  # the job's page is the board's
        other = queued.test_client()
        login(other, world[who])
        assert other.get(job_path).status_code == 404


@pytest.mark.parametrize(("files", "message"), [
    ({"comments": b"\xff\xfe not text"}, "no es texto UTF-8"),
    ({"votes": b"voter,comment\n1,2\n"}, "faltan las columnas"),
    ({"comments": b""}, "está vacío"),
])
def test_a_wrong_file_is_refused_with_a_translated_message_and_nothing_is_queued(app, world, files, message):
    _in_spanish(app, world["board"])
    browser = app.test_client()
    login(browser, world["board"])
    response = browser.post(f"/consultations/{world['consultation_id']}/polis", data=_files(**files),
                            content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert _count(PolisUpload) == 0 and _count(Job) == 0


def test_a_missing_file_is_named(app, world):
    browser = app.test_client()
    login(browser, world["board"])
    data = _files()
    del data["votes"]
    response = browser.post(f"/consultations/{world['consultation_id']}/polis", data=data,
                            content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose the file votes.csv of the export." in response.get_data(as_text=True)


def _post_encoded(browser, path: str, data: dict):
    """Post a large multipart body encoded in memory (the test client's own encoder leaves a temporary file open)."""
    fields = {name: FileStorage(value[0], value[1]) if isinstance(value, tuple) else value
              for name, value in data.items()}
    boundary, body = encode_multipart(fields)
    return browser.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_files_over_the_limits_are_refused_with_a_clear_message(app, world, make_app):
    small = make_app(POLIS_FILE_MAX_BYTES=1_000_000, POLIS_UPLOAD_MAX_BYTES=5_000_000)
    browser = small.test_client()
    login(browser, world["board"])
    path = f"/consultations/{world['consultation_id']}/polis"
    big = (LONDON / "comments.csv").read_bytes() * 250  # about 1.2 MB
    response = _post_encoded(browser, path, _files(comments=big))
    assert response.status_code == 422
    assert "larger than 1 MB" in response.get_data(as_text=True)
    huge = big * 5  # the request itself is over its limit: not even read
    response = _post_encoded(browser, path, _files(comments=huge))
    assert response.status_code == 413
    assert "larger than 5 MB" in response.get_data(as_text=True)


def test_a_malformed_row_ends_the_job_saying_which_file_and_line_and_offers_to_upload_again(app, world):
    _in_spanish(app, world["board"])
    browser = app.test_client()
    login(browser, world["board"])
    votes = (LONDON / "votes.csv").read_bytes() + b"1658933760180,x,1,not-a-number,1\n"
    response = browser.post(f"/consultations/{world['consultation_id']}/polis", data=_files(votes=votes),
                            content_type="multipart/form-data")
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "votes.csv" in page and "línea" in page
    assert f"/consultations/{world['consultation_id']}/polis" in page  # upload again
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.name == "polis.import"))
        assert job.status is JobStatus.DEAD and job.attempts == 1  # no retries of a file that cannot work
        assert _count(Demand) == 0
