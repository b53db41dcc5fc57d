"""The board steps a consultation back one phase, with a reason members read, until something irreversible happens."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from deliberate.consultations.services import step_back_phase
from deliberate.domain.errors import Conflict, ValidationFailed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import (
    AuditEntry,
    BallotCast,
    Consultation,
    Demand,
    Notification,
    OpinionSnapshot,
    User,
    utcnow,
)


def _consultation(app, world, phase: Phase) -> int:
    with app.app_context():
        consultation = Consultation(federation_id=world["federation"].id, title_es="Agenda 2027",
                                    title_en="2027 agenda", phase=phase, collecting_until=date(2027, 3, 1))
        db.session.add(consultation)
        db.session.commit()
        return consultation.id


def _phase(app, consultation_id) -> Phase:
    with app.app_context():
        return db.session.get(Consultation, consultation_id).phase


def test_the_board_steps_back_from_deliberating_and_members_are_told_why(app, client, federation_world, log_in,
                                                                       outbox):
    consultation_id = _consultation(app, federation_world, Phase.DELIBERATING)
    log_in(client, federation_world["board"])
    page = client.get(f"/consultations/{consultation_id}").get_data(as_text=True)
    assert "Move back one phase" in page
    form = client.get(f"/consultations/{consultation_id}/step-back").get_data(as_text=True)
    assert "Consolidating" in form and "will be told, with your reason" in form
    done = client.post(f"/consultations/{consultation_id}/step-back",
                       data={"expected": "deliberating", "reason": "Faltan demandas del Club Jerez"},
                       follow_redirects=True)
    assert "is back in the phase" in done.get_data(as_text=True)
    assert _phase(app, consultation_id) is Phase.CONSOLIDATING
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "consultation.step_back"))
        assert entry is not None and "Faltan demandas" in entry.detail
        notified = db.session.scalar(select(func.count(Notification.id)).where(
            Notification.kind == "phase_stepped_back"))
        assert notified >= 5
    member_mail = next(m for m in outbox if m["To"] == federation_world["member"].email)
    assert "moved the consultation" in member_mail.get_content() and "Faltan demandas" in member_mail.get_content()


def test_a_reason_is_required_and_nothing_typed_is_lost(app, client, federation_world, log_in):
    consultation_id = _consultation(app, federation_world, Phase.CONSOLIDATING)
    log_in(client, federation_world["board"])
    response = client.post(f"/consultations/{consultation_id}/step-back", data={"expected": "consolidating",
                                                                               "reason": "   "})
    assert response.status_code == 422
    assert _phase(app, consultation_id) is Phase.CONSOLIDATING
    long = client.post(f"/consultations/{consultation_id}/step-back",
                       data={"expected": "consolidating", "reason": "x" * 600})
    assert long.status_code == 422 and "x" * 600 in long.get_data(as_text=True)


def test_once_a_ballot_is_cast_voting_cannot_be_undone(app, client, federation_world, log_in):
    consultation_id = _consultation(app, federation_world, Phase.VOTING)
    with app.app_context():
        db.session.add(BallotCast(consultation_id=consultation_id, user_id=federation_world["member"].id))
        db.session.commit()
    log_in(client, federation_world["board"])
    assert "Move back one phase" not in client.get(f"/consultations/{consultation_id}").get_data(as_text=True)
    response = client.post(f"/consultations/{consultation_id}/step-back",
                           data={"expected": "voting", "reason": "Error"})
    assert response.status_code == 409 and "voting cannot be undone" in response.get_data(as_text=True)
    assert _phase(app, consultation_id) is Phase.VOTING


def test_stepping_back_from_voting_before_anyone_voted_unfreezes_the_opinion_map(app, federation_world):
    consultation_id = _consultation(app, federation_world, Phase.VOTING)
    with app.app_context():
        db.session.add(OpinionSnapshot(consultation_id=consultation_id, is_frozen=True, frozen_at=utcnow(),
                                       result={}, groups=[], consensus=[]))
        db.session.commit()
        consultation = db.session.get(Consultation, consultation_id)
        step_back_phase(consultation, db.session.get(User, federation_world["board"].id), Phase.VOTING, "Antes")
        snapshot = db.session.scalar(select(OpinionSnapshot))
        assert consultation.phase is Phase.DELIBERATING and not snapshot.is_frozen


@pytest.mark.parametrize("phase,code", [(Phase.TALLIED, "counted"), (Phase.PUBLISHED, "counted"),
                                        (Phase.DRAFT, "first_phase")])
def test_a_counted_or_first_phase_consultation_cannot_step_back(app, federation_world, phase, code):
    consultation_id = _consultation(app, federation_world, phase)
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        with pytest.raises(Conflict) as refused:
            step_back_phase(consultation, db.session.get(User, federation_world["board"].id), phase, "No")
        assert refused.value.reason == code
        assert db.session.get(Consultation, consultation_id).phase is phase


def test_collecting_goes_back_to_the_draft_only_while_nobody_submitted_a_demand(app, federation_world):
    consultation_id = _consultation(app, federation_world, Phase.COLLECTING)
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        board = db.session.get(User, federation_world["board"].id)
        db.session.add(Demand(consultation_id=consultation_id, author_id=federation_world["member"].id,
                              club_id=federation_world["club"].id, title="Agua", body="Agua potable"))
        db.session.commit()
        with pytest.raises(Conflict) as refused:
            step_back_phase(consultation, board, Phase.COLLECTING, "Borrador")
        assert refused.value.reason == "demands_submitted"
        with pytest.raises(ValidationFailed):
            step_back_phase(consultation, board, Phase.COLLECTING, "")


def test_a_stale_form_changes_nothing(app, client, federation_world, log_in):
    consultation_id = _consultation(app, federation_world, Phase.CONSOLIDATING)
    log_in(client, federation_world["board"])
    response = client.post(f"/consultations/{consultation_id}/step-back",
                           data={"expected": "deliberating", "reason": "Una razón"})
    assert response.status_code == 409 and "Another board member already changed the phase" in response.get_data(
        as_text=True)
    assert _phase(app, consultation_id) is Phase.CONSOLIDATING


@pytest.mark.parametrize("role", ["member", "officer", "outsider", "other_club_member"])
def test_only_the_board_steps_back(app, client, federation_world, log_in, role):
    consultation_id = _consultation(app, federation_world, Phase.DELIBERATING)
    log_in(client, federation_world[role])
    response = client.post(f"/consultations/{consultation_id}/step-back",
                           data={"expected": "deliberating", "reason": "Yo quiero"})
    assert response.status_code in (403, 404)
    assert _phase(app, consultation_id) is Phase.DELIBERATING
