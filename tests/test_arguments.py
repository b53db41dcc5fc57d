"""Arguments for and against a demand: writing them, hostile input, length, up-votes once, strongest first."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deliberate.deliberation import services
from deliberate.domain.errors import Conflict, PermissionDenied, PhaseClosed, ValidationFailed
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Argument, ArgumentVote, Notification, Side
from tests.factories import (
    PASSWORD,
    collecting_world,
    consultation_of,
    demand_of,
    discussion_path,
    login,
    set_phase,
    user_of,
)

ARGUMENT = "Las clínicas móviles ya funcionan en Jerez.\n\nCuestan poco y llegan a los ranchos."


@pytest.fixture
def world(app, federation_world):
    return collecting_world(app, federation_world)


def argument_path(world, name, side):
    return f"/consultations/{world['consultation_id']}/demands/{world[name]}/arguments/{side}"


def arguments(app):
    with app.app_context():
        return db.session.scalars(select(Argument).order_by(Argument.id)).all()


def notifications(app, person, kind):
    with app.app_context():
        return db.session.scalars(
            select(Notification).where(Notification.user_id == person.id, Notification.kind == kind)
        ).all()


def test_a_member_argues_for_a_demand_and_its_author_is_notified(app, world):
    with app.app_context():
        argument = services.write_argument(consultation_of(world), user_of(world, "officer"),
                                           demand_of(world, "d_other"), "for", ARGUMENT)
        assert argument.body == ARGUMENT and argument.side is Side.FOR
    [note] = notifications(app, world["other_club_member"], "argument_on_my_demand")
    assert note.params["demand_id"] == world["d_other"] and note.params["side"] == "for" and note.link


def test_arguing_on_ones_own_demand_notifies_nobody(app, world):
    with app.app_context():
        services.write_argument(consultation_of(world), user_of(world, "member"), demand_of(world, "d_member"),
                                "against", "Lo dudo")
    assert notifications(app, world["member"], "argument_on_my_demand") == []


def test_an_argument_is_at_most_a_thousand_characters(app, world):
    with app.app_context():
        services.write_argument(consultation_of(world), user_of(world, "member"), demand_of(world, "d_other"), "for",
                                "a" * 1000)
        with pytest.raises(ValidationFailed) as error:
            services.write_argument(consultation_of(world), user_of(world, "member"), demand_of(world, "d_other"),
                                    "for", "a" * 1001)
        assert error.value.code == "too_long"
        with pytest.raises(ValidationFailed):
            services.write_argument(consultation_of(world), user_of(world, "member"), demand_of(world, "d_other"),
                                    "for", " <b></b> ")


def test_markup_is_stripped_and_nothing_renders_as_script(client, app, world):
    login(client, world["member"])
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)> <a href="javascript:alert(3)">mira</a>\nfin'
    client.post(argument_path(world, "d_other", "for"), data={"for-body": hostile})
    [stored] = arguments(app)
    assert "<" not in stored.body and "fin" in stored.body
    page = client.get(discussion_path(world, "d_other")).get_data(as_text=True)
    assert "<script>alert" not in page and "onerror" not in page and "javascript:" not in page


def test_escaped_text_stays_text(client, app, world):
    login(client, world["member"])
    client.post(argument_path(world, "d_other", "against"), data={"against-body": "1 < 2 & 3 > 2 \"quoted\""})
    page = client.get(discussion_path(world, "d_other")).get_data(as_text=True)
    assert "1 &lt; 2 &amp; 3 &gt; 2" in page


def test_newlines_become_paragraphs(client, world):
    login(client, world["member"])
    client.post(argument_path(world, "d_other", "for"), data={"for-body": ARGUMENT})
    page = client.get(discussion_path(world, "d_other")).get_data(as_text=True)
    assert "<p>Las clínicas móviles ya funcionan en Jerez.</p><p>Cuestan poco" in page


def test_too_long_or_invisible_input_comes_back_with_the_text_kept(client, app, world):
    login(client, world["member"])
    long_text = "palabra " * 200
    response = client.post(argument_path(world, "d_other", "against"), data={"against-body": long_text})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and long_text.strip() in page and 'aria-invalid="true"' in page
    response = client.post(argument_path(world, "d_other", "for"), data={"for-body": "hola\u202emundo"})
    assert response.status_code == 422 and "invisible characters" in response.get_data(as_text=True)
    assert arguments(app) == []


def test_invalid_utf8_is_refused_with_a_message(client, app, world):
    login(client, world["member"])
    response = client.post(argument_path(world, "d_other", "for"), data=b"for-body=caf\xe9 \xff",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422 and "Write your argument first" in response.get_data(as_text=True)
    response = client.post(argument_path(world, "d_other", "for"), data={"for-body": "caf\ufffd"})
    assert response.status_code == 422 and "invalid or invisible characters" in response.get_data(as_text=True)
    assert arguments(app) == []


@pytest.mark.parametrize("role,expected", [
    ("anonymous", 302), ("stranger", 403), ("outsider", 403), ("admin", 403), ("member", 302), ("board", 302),
])
def test_writing_an_argument_answers_each_role(client, app, world, role, expected):
    if role != "anonymous":
        login(client, world[role])
    assert client.post(argument_path(world, "d_other", "for"), data={"for-body": "Sí"}).status_code == expected
    assert len(arguments(app)) == (1 if role in ("member", "board") else 0)


def test_an_unknown_side_is_not_found(client, world):
    login(client, world["member"])
    assert client.post(argument_path(world, "d_other", "maybe"), data={"maybe-body": "x"}).status_code == 404


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.CONSOLIDATING, Phase.VOTING, Phase.PUBLISHED])
def test_arguments_are_refused_outside_collecting_and_deliberating(app, world, phase):
    set_phase(app, world, phase)
    with app.app_context(), pytest.raises(PhaseClosed):
        services.write_argument(consultation_of(world), user_of(world, "member"), demand_of(world, "d_other"), "for",
                                "Sí")


def test_hidden_demands_take_no_arguments(app, world):
    with app.app_context(), pytest.raises(Conflict):
        services.write_argument(consultation_of(world), user_of(world, "member"), demand_of(world, "d_hidden"), "for",
                                "Sí")


def _argue(app, world, role, side="for", text="Un argumento"):
    with app.app_context():
        return services.write_argument(consultation_of(world), user_of(world, role), demand_of(world, "d_other"),
                                       side, text).id


def test_a_member_up_votes_an_argument_once(app, world):
    argument_id = _argue(app, world, "officer")
    with app.app_context():
        argument = db.session.get(Argument, argument_id)
        assert services.upvote_argument(consultation_of(world), user_of(world, "member"), argument) is True
        assert services.upvote_argument(consultation_of(world), user_of(world, "member"), argument) is False
        assert db.session.get(Argument, argument_id).upvote_count == 1
        assert db.session.scalar(select(func.count(ArgumentVote.id))) == 1
        with pytest.raises(PermissionDenied):
            services.upvote_argument(consultation_of(world), user_of(world, "officer"), argument)


def test_upvoting_twice_over_http_is_harmless(client, app, world):
    argument_id = _argue(app, world, "officer")
    login(client, world["member"])
    path = f"/consultations/{world['consultation_id']}/arguments/{argument_id}/upvote"
    assert client.post(path).status_code == 302
    page = client.post(path, follow_redirects=True).get_data(as_text=True)
    assert "already up-voted" in page and "You up-voted this" in page
    with app.app_context():
        assert db.session.get(Argument, argument_id).upvote_count == 1


def test_outsiders_cannot_up_vote(client, app, world):
    argument_id = _argue(app, world, "officer")
    login(client, world["outsider"])
    assert client.post(f"/consultations/{world['consultation_id']}/arguments/{argument_id}/upvote").status_code == 403


def test_the_strongest_arguments_come_first_then_the_oldest(app, world):
    first = _argue(app, world, "officer", text="primero")
    second = _argue(app, world, "member", text="segundo")
    third = _argue(app, world, "board", text="tercero")
    against = _argue(app, world, "member", side="against", text="contra")
    with app.app_context():
        services.upvote_argument(consultation_of(world), user_of(world, "officer"), db.session.get(Argument, third))
        services.upvote_argument(consultation_of(world), user_of(world, "member"), db.session.get(Argument, third))
        services.upvote_argument(consultation_of(world), user_of(world, "officer"), db.session.get(Argument, second))
        result = services.arguments_of(demand_of(world, "d_other"), user_of(world, "officer"))
        assert [a.id for a in result.for_] == [third, second, first]
        assert [a.id for a in result.against] == [against]
        assert result.upvoted_ids == {third, second}


def test_the_page_shows_for_and_against_columns_in_order(client, app, world):
    _argue(app, world, "officer", text="primero a favor")
    _argue(app, world, "board", side="against", text="primero en contra")
    login(client, world["member"])
    page = client.get(discussion_path(world, "d_other")).get_data(as_text=True)
    positions = [page.index(text) for text in ('id="arguments-for-', "primero a favor", 'id="arguments-against-',
                                               "primero en contra")]
    assert positions == sorted(positions)


# --- the folded forms: a summary per side, open again after a failed submit ----------------------------------------

def _write_form(page, side):
    """Return the <details> that holds the form to write an argument on one side."""
    start = page.index(f'<details class="argument-write" id="write-{side}-')
    return page[start:page.index("</details>", start)]


def test_the_forms_to_write_an_argument_are_folded_behind_a_summary(client, world):
    login(client, world["member"])
    page = client.get(discussion_path(world, "d_other")).get_data(as_text=True)
    for side, summary in (("for", "Write an argument for"), ("against", "Write an argument against")):
        folded = _write_form(page, side)
        assert folded.split(">", 1)[0].endswith(f'id="write-{side}-{world["d_other"]}"')  # closed: no open attribute
        assert f"<summary>{summary}</summary>" in folded and 'class="stack argument-form"' in folded
        assert f'arguments/{side}"' in folded  # no #anchor: a page opened at one would ignore autofocus
    assert "autofocus" not in page


def test_a_failed_argument_comes_back_in_an_open_form_with_its_text_error_and_focus(client, world):
    login(client, world["member"])
    long_text = "palabra " * 200
    response = client.post(argument_path(world, "d_other", "against"), data={"against-body": long_text})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    against, for_ = _write_form(page, "against"), _write_form(page, "for")
    assert against.split(">", 1)[0].endswith(" open")
    assert long_text.strip() in against and 'aria-invalid="true" autofocus' in against
    assert 'class="error" id="against-body-error"' in against
    assert not for_.split(">", 1)[0].endswith(" open") and "autofocus" not in for_


def test_a_written_argument_is_shown_where_it_landed(client, app, world):
    login(client, world["member"])
    response = client.post(argument_path(world, "d_other", "for"), data={"for-body": ARGUMENT})
    [argument] = arguments(app)
    assert response.status_code == 302 and response.location.endswith(f"#argument-{argument.id}")


def test_the_folded_forms_keep_their_csrf_token(make_app, world):
    import re

    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()

    def token(page, name="csrf_token"):
        return re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page).group(1)

    login_page = client.get("/account/login").get_data(as_text=True)
    assert client.post("/account/login", data={"email": world["member"].email, "password": PASSWORD,
                                               "csrf_token": token(login_page)}).status_code == 302
    page = client.get(discussion_path(world, "d_other")).get_data(as_text=True)
    folded = _write_form(page, "for")
    assert 'name="for-csrf_token"' in folded  # the form's prefix names its token too
    path = argument_path(world, "d_other", "for")
    assert client.post(path, data={"for-body": ARGUMENT}).status_code == 400
    assert client.post(path, data={"for-body": ARGUMENT, "for-csrf_token": token(folded, "for-csrf_token")}
                       ).status_code == 302


def test_a_10000_character_argument_is_refused_kept_whole_and_says_how_much_to_shorten(client, app, world):
    login(client, world["member"])
    text = ("palabra " * 1250).strip()  # 9,999 characters
    response = client.post(argument_path(world, "d_other", "for"), data={"for-body": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and text in page  # the whole text, not cut mid-word
    assert "at most 1,000 characters; it has 9,999" in page and "shorten it by 8,999" in page
    assert 'maxlength="1000"' not in page  # a browser would silently cut a long paste
    assert arguments(app) == []


def test_an_escaped_entity_is_stored_as_typed_and_shown_as_typed(client, app, world):
    login(client, world["member"])
    client.post(argument_path(world, "d_other", "for"), data={"for-body": "&lt;script&gt;alert(1)&lt;/script&gt;"})
    [stored] = arguments(app)
    assert stored.body == "&lt;script&gt;alert(1)&lt;/script&gt;" and "<script" not in stored.body
    page = client.get(discussion_path(world, "d_other")).get_data(as_text=True)
    assert "&amp;lt;script&amp;gt;alert(1)" in page and "<script>alert" not in page
