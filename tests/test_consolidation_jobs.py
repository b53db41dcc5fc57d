"""The consolidation suggestions are computed by a job, not while the board waits: the board's request queues it and
lands on the job's page, which says when the suggestions are ready and links back to the workspace."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deliberate.consolidation import suggestions
from deliberate.domain.errors import PhaseClosed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.jobs import services as jobs
from deliberate.models import Consultation, Job, JobStatus, Role
from deliberate.models.agenda import ConsolidationSuggestion
from tests.factories import login
from tests.test_consolidation_workspace import make, user


@pytest.fixture
def world(federation_world, create_user, add_member):
    federation_world["other_board"] = create_user("Other Board")
    add_member(federation_world["other_board"], federation_world["other_federation"], Role.BOARD)
    return federation_world


def _suggestions() -> int:
    return db.session.scalar(select(func.count(ConsolidationSuggestion.id)))


def test_a_refresh_is_a_job_that_keeps_the_suggestions_and_links_to_the_workspace(app, world):
    data = make(app, world)
    with app.app_context():
        consultation = db.session.get(Consultation, data["consultation"])
        job = suggestions.queue_refresh(consultation, user(world, "board"))  # runs at once under tests
        job = db.session.get(Job, job.id)
        assert job.status is JobStatus.DONE
        assert job.result["link"] == f"/consultations/{consultation.id}/consolidation#suggestions"
        assert job.result["groups"] == len(suggestions.suggestion_of(consultation).clusters) > 0


def test_a_refresh_outside_consolidating_queues_nothing(app, world):
    data = make(app, world, phase=Phase.COLLECTING)
    with app.app_context():
        with pytest.raises(PhaseClosed):
            suggestions.queue_refresh(db.session.get(Consultation, data["consultation"]), user(world, "board"))
        assert db.session.scalar(select(func.count(Job.id))) == 0


@pytest.mark.parametrize(("role", "status"), [("member", 403), ("officer", 403), ("other_board", 403)])
def test_only_the_board_asks_for_suggestions(app, world, role, status):
    data = make(app, world)
    browser = app.test_client()
    login(browser, world[role])
    response = browser.post(f"/consultations/{data['consultation']}/consolidation/suggestions")
    assert response.status_code == status
    with app.app_context():
        assert _suggestions() == 0 and db.session.scalar(select(func.count(Job.id))) == 0


def test_an_anonymous_visitor_is_sent_to_log_in(app, world):
    data = make(app, world)
    response = app.test_client().post(f"/consultations/{data['consultation']}/consolidation/suggestions")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_the_board_waits_on_the_jobs_page_not_in_the_request(app, world, make_app):
    data = make(app, world)
    queued = make_app(JOBS_IMMEDIATE=False, JOBS_SQLITE_PATH=str(app.instance_path) + "/jobs-consolidation.sqlite3")
    browser = queued.test_client()
    login(browser, world["board"])
    response = browser.post(f"/consultations/{data['consultation']}/consolidation/suggestions")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Computing the consolidation suggestions" in page and "<progress" in page
    with queued.app_context():
        assert _suggestions() == 0  # nothing computed inside the request
        jobs.run_waiting()
        assert _suggestions() == 1
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "The suggestions were updated" in page
    assert f"/consultations/{data['consultation']}/consolidation#suggestions" in page
    other = queued.test_client()
    login(other, world["member"])
    assert other.get(response.headers["Location"]).status_code == 404
