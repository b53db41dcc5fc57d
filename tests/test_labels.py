"""Every value a person reads has one translated name, in the labels module, in both languages."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from deliberate import labels
from deliberate.domain.equity import CheckStatus
from deliberate.domain.phases import Phase
from deliberate.domain.programmes import CommitmentStatus, Currency, OwnerKind, Source, Status
from deliberate.domain.rules import AgendaSelection, CheckMode, ClubMode, ClubWeighting, VotingMethod
from deliberate.models import Language, MembershipStatus, Role, Target

NAMES = [
    (labels.PHASE_NAMES, Phase), (labels.ROLE_NAMES, Role), (labels.MEMBERSHIP_STATUS_NAMES, MembershipStatus),
    (labels.VOTING_METHOD_NAMES, VotingMethod), (labels.CLUB_WEIGHTING_NAMES, ClubWeighting),
    (labels.CLUB_MODE_NAMES, ClubMode), (labels.AGENDA_SELECTION_NAMES, AgendaSelection),
    (labels.CHECK_MODE_CHOICES, CheckMode), (labels.CHECK_MODE_NAMES, CheckMode),
    (labels.CHECK_STATUS_NAMES, CheckStatus), (labels.TARGET_NAMES, Target), (labels.LANGUAGE_NAMES, Language),
    (labels.PROGRAMME_STATUS_NAMES, Status), (labels.SOURCE_NAMES, Source), (labels.CURRENCY_NAMES, Currency),
    (labels.OWNER_NAMES, OwnerKind), (labels.COMMITMENT_NAMES, CommitmentStatus),
]


@pytest.mark.parametrize(("names", "values"), NAMES, ids=[values.__name__ for _, values in NAMES])
def test_every_value_has_a_name_in_spanish_and_in_english(app, names, values):
    assert set(names) == set(values)
    with app.test_request_context():
        for value in values:
            with force_locale("en"):
                english = labels.name_of(names, value)
            with force_locale("es"):
                spanish = labels.name_of(names, value.value)
            assert english and spanish


def test_a_stored_word_no_release_knows_is_shown_as_stored(app):
    with app.test_request_context(), force_locale("es"):
        assert labels.role_name(Role.BOARD) == "Integrante de la mesa directiva"
        assert labels.role_name("treasurer") == "treasurer"
        assert labels.phase_name(None) == ""


def test_a_bilingual_text_is_shown_in_the_readers_language_or_else_in_the_one_it_has():
    assert labels.in_language("Agua", "Water", "en") == "Water"
    assert labels.in_language("Agua", "Water", "es") == "Agua"
    assert labels.in_language("Agua", "", "en") == "Agua"
    assert labels.in_language("", "Water", "es") == "Water"
