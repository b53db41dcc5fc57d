"""Accounts: register, log in, reset a password, profile, language, delete."""

from __future__ import annotations

import re
import time

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from deliberate.domain.gender import Gender, gender_group
from deliberate.extensions import db
from deliberate.models import MembershipStatus, PasswordReset, User
from tests.factories import PASSWORD, login

GOOD_PASSWORD = "maguey en flor 1987"


def register(client, email="ana@example.org", password=GOOD_PASSWORD, **extra):
    data = {"display_name": "Ana Delgado", "email": email, "password": password, "confirm": password, "locale": "es"}
    data.update(extra)
    return client.post("/account/register", data=data)


def _confirmation_link(outbox) -> str:
    return re.search(r"http://localhost(/account/confirm/\S+)", outbox[-1].get_content()).group(1)


def test_a_visitor_registers_confirms_the_address_by_mail_and_is_logged_in(client, app, outbox):
    response = register(client, gender="woman")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/login")
    assert client.get("/account/profile").status_code == 302  # not logged in before the address is confirmed
    assert len(outbox) == 1 and outbox[0]["To"] == "ana@example.org"
    link = _confirmation_link(outbox)
    assert client.get(link).status_code == 200  # opening the link (a mail scanner too) changes nothing
    with app.app_context():
        assert db.session.scalar(select(User)).is_email_confirmed is False
    confirmed = client.post(link, follow_redirects=True)
    assert "Ana Delgado" in confirmed.get_data(as_text=True)  # welcomed, in the language chosen (Spanish)
    assert client.get("/account/profile").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ana@example.org"))
        assert user.gender is Gender.WOMAN and user.is_email_confirmed
        assert user.password_hash.startswith("scrypt:")


def test_a_confirmation_link_works_once_and_expires(client, app, outbox, monkeypatch):
    register(client)
    link = _confirmation_link(outbox)
    client.post(link)
    client.post("/account/logout")
    again = client.post(link)
    assert again.status_code == 302 and client.get("/account/profile").status_code == 302
    register(client, email="otro@example.org")
    later = time.time() + (app.config["EMAIL_CONFIRMATION_HOURS"] + 1) * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    expired = client.post(_confirmation_link(outbox), follow_redirects=True, headers={"Accept-Language": "en"})
    assert "expired" in expired.get_data(as_text=True)
    assert client.get("/account/profile").status_code == 302


def test_an_unconfirmed_account_cannot_log_in_and_is_told_like_a_wrong_password(client, outbox):
    register(client)
    response = client.post("/account/login", data={"email": "ana@example.org", "password": GOOD_PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Wrong email or password" in page and "open the link we emailed" in page


def test_a_password_reset_confirms_an_address_registered_by_someone_else(client, app, outbox):
    register(client, password="la contraseña de otra persona")
    client.post("/account/reset", data={"email": "ana@example.org"})
    link = _reset_link(outbox)
    client.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    login(client, User(email="ana@example.org"), GOOD_PASSWORD)


CSRF = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"|name="csrf_token" value="[^"]+"')


def _register_with_csrf(app, email):
    """Register through the real form, CSRF token and all; return the answer and the page it leads to."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    form = client.get("/account/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = register(client, email=email, csrf_token=token)
    return response, client.get(response.headers["Location"])


def _same_apart_from_tokens(page: str, email: str) -> str:
    return CSRF.sub("csrf", page).replace(email, "EMAIL")


def test_registering_answers_the_same_for_a_known_and_an_unknown_address_and_mails_the_owner(
        make_app, create_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    owner = create_user("Rosa", email="rosa@example.org")
    known, known_page = _register_with_csrf(app, "rosa@example.org")
    unknown, unknown_page = _register_with_csrf(app, "nueva@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known.get_data() == unknown.get_data()
    assert known_page.status_code == unknown_page.status_code == 200
    assert _same_apart_from_tokens(known_page.get_data(as_text=True), "rosa@example.org") == \
        _same_apart_from_tokens(unknown_page.get_data(as_text=True), "nueva@example.org")
    assert sorted(c.split("=")[0] for c in known.headers.getlist("Set-Cookie")) == \
        sorted(c.split("=")[0] for c in unknown.headers.getlist("Set-Cookie"))
    to_owner, to_newcomer = app.extensions["mail_outbox"]
    assert to_owner["To"] == "rosa@example.org" and "tried to create an account" in to_owner["Subject"]
    body = to_owner.get_content()
    assert "http://localhost/account/login" in body and "http://localhost/account/reset" in body
    assert "/account/confirm/" not in body  # whoever typed the address cannot finish an account with it
    assert to_newcomer["To"] == "nueva@example.org" and "/account/confirm/" in to_newcomer.get_content()
    with app.app_context():  # the owner's account is untouched: same name, same password
        saved = db.session.get(User, owner.id)
        assert saved.display_name == "Rosa" and check_password_hash(saved.password_hash, PASSWORD)


def test_email_is_unique_whatever_its_case(client, app, outbox):
    register(client, email="Ana@Example.org")
    client.post(_confirmation_link(outbox))
    client.post("/account/logout")
    assert register(client, email="ANA@example.ORG").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_short_and_common_passwords_are_refused_with_the_reason(client):
    short = register(client, password="abc123")
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    common = register(client, password="1234567890")
    assert common.status_code == 422 and "too common" in common.get_data(as_text=True)


def test_gender_is_optional_and_another_keeps_its_description(client, app):
    register(client, gender="another", gender_description="Muxe")
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.gender is Gender.ANOTHER and user.gender_description == "Muxe"


def _gender_options(html: str) -> list[str]:
    return re.findall(r'<input[^>]*name="gender"[^>]*value="([^"]*)"', html)


def test_the_gender_question_offers_one_way_not_to_answer_in_each_language(client):
    english = client.get("/account/register", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _gender_options(english) == ["woman", "man", "non_binary", "another", ""]
    assert english.count("Prefer not to say") == 1 and "I prefer not to answer" not in english
    spanish = client.get("/account/register", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert _gender_options(spanish) == ["woman", "man", "non_binary", "another", ""]
    assert spanish.count("Prefiero no decirlo") == 1 and "Prefiero no contestar" not in spanish
    assert re.search(r'<input[^>]*checked[^>]*value=""|<input[^>]*value=""[^>]*checked', spanish)  # the default


def test_not_answering_stores_no_gender_and_the_older_undisclosed_is_no_longer_offered(client, app):
    assert register(client, gender="undisclosed").status_code == 422
    assert register(client, gender="").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User)).gender is None


def test_a_profile_saved_before_shows_undisclosed_as_not_answering_and_keeps_counting_it_so(client, app, create_user):
    user = create_user(gender=Gender.UNDISCLOSED)
    login(client, user)
    page = client.get("/account/profile").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value=""|<input[^>]*value=""[^>]*checked', page)
    assert client.post("/account/profile", data={"display_name": "Rosa", "locale": "es", "gender": ""}).status_code \
        == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert saved.gender is None
        # The same figures as before the change: neither value is a woman, a man or another gender.
        for gender in (None, Gender.UNDISCLOSED):
            assert gender_group(gender) is None


def test_log_in_with_the_wrong_password_fails_without_saying_which_part(client, create_user):
    user = create_user()
    response = client.post("/account/login", data={"email": user.email, "password": "wrong password!"})
    assert response.status_code == 422
    assert "Wrong email or password" in response.get_data(as_text=True)
    unknown = client.post("/account/login", data={"email": "nobody@example.org", "password": "wrong password!"})
    assert "Wrong email or password" in unknown.get_data(as_text=True)


def test_log_in_is_case_insensitive_and_remember_me_sets_a_cookie(client, create_user):
    user = create_user(email="luz@example.org")
    response = client.post("/account/login", data={"email": "LUZ@example.org", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    assert "remember_token" in response.headers.get("Set-Cookie", "") or any(
        "remember_token" in h for h in response.headers.getlist("Set-Cookie"))
    assert user


def test_next_redirects_only_within_the_site(client, create_user):
    user = create_user()
    ok = client.post("/account/login", data={"email": user.email, "password": PASSWORD, "next": "/account/profile"})
    assert ok.headers["Location"].endswith("/account/profile")
    client.post("/account/logout")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = client.post("/account/login", data={"email": user.email, "password": PASSWORD, "next": evil})
        assert "evil" not in response.headers["Location"] and "javascript" not in response.headers["Location"]
        client.post("/account/logout")


def test_log_out_is_a_post(client, create_user):
    login(client, create_user())
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 302
    assert client.get("/account/profile").status_code == 302


def test_login_is_throttled_with_a_clear_message(make_app, create_user):
    throttled = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = throttled.test_client()
    user = create_user()
    for _ in range(3):
        client.post("/account/login", data={"email": user.email, "password": "wrong password!"})
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 429
    assert "too many times" in response.get_data(as_text=True)
    assert client.get("/account/login").status_code == 200  # reading the form is not limited


def _reset_link(outbox) -> str:
    body = outbox[-1].get_content()
    return re.search(r"http://localhost(/account/reset/\S+)", body).group(1)


def test_a_forgotten_password_is_reset_once_by_the_emailed_link(client, create_user, outbox):
    user = create_user()
    client.post("/account/reset", data={"email": user.email})
    assert len(outbox) == 1 and outbox[0]["To"] == user.email
    link = _reset_link(outbox)
    assert client.get(link).status_code == 200
    new = "nopal y tuna del cerro"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 302
    login(client, user, new)
    client.post("/account/logout")
    again = client.get(link)
    assert again.status_code == 302 and "/account/reset" in again.headers["Location"]


def test_a_reset_request_for_an_unknown_email_says_the_same_and_sends_nothing(client, outbox):
    response = client.post("/account/reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert "If an account uses this address" in response.get_data(as_text=True)
    assert outbox == []


def test_an_expired_reset_link_is_refused(client, app, create_user, outbox):
    user = create_user()
    client.post("/account/reset", data={"email": user.email})
    link = _reset_link(outbox)
    with app.app_context():
        reset = db.session.scalar(select(PasswordReset))
        reset.expires_at = reset.created_at.replace(year=2000)
        db.session.commit()
    assert client.get(link).status_code == 302


def test_the_reset_mail_is_written_in_the_members_language(client, create_user, outbox):
    user = create_user(locale="es")
    client.post("/account/reset", data={"email": user.email})
    assert "contraseña" in outbox[0]["Subject"]


def test_the_reset_link_uses_the_base_url_whatever_host_the_request_names(make_app, create_user):
    app = make_app(BASE_URL="https://agenda.example.org", SERVER_NAME=None)
    user = create_user()
    app.test_client().post("/account/reset", data={"email": user.email}, base_url="http://attacker.example")
    body = app.extensions["mail_outbox"][-1].get_content()
    assert "https://agenda.example.org/account/reset/" in body and "attacker" not in body


def test_a_reset_asked_for_outside_a_request_mails_an_absolute_link(make_app, create_user):
    from deliberate.auth.services import request_password_reset

    app = make_app(BASE_URL="https://agenda.example.org/", SERVER_NAME=None)
    user = create_user()
    with app.app_context():
        request_password_reset(user.email)
    body = app.extensions["mail_outbox"][-1].get_content()
    assert re.search(r"https://agenda\.example\.org/account/reset/\S+", body)


def test_a_member_edits_the_profile(client, app, create_user):
    user = create_user()
    login(client, user)
    response = client.post("/account/profile", data={"display_name": "Nuevo Nombre", "locale": "es", "gender": "man",
                                                     "contact_public": "tel 555"})
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.display_name, saved.locale, saved.gender, saved.contact_public) == (
            "Nuevo Nombre", "es", Gender.MAN, "tel 555")


def test_a_member_changes_the_password_knowing_the_current_one(client, create_user):
    user = create_user()
    login(client, user)
    new = "sombrero de charro 2"
    bad = client.post("/account/password", data={"current_password": "nope nope nope", "password": new, "confirm": new})
    assert bad.status_code == 422
    good = client.post("/account/password", data={"current_password": PASSWORD, "password": new, "confirm": new})
    assert good.status_code == 302
    client.post("/account/logout")
    login(client, user, new)


def test_the_language_switch_changes_the_page_and_is_remembered(client, app, create_user):
    assert 'lang="es"' in client.get("/").get_data(as_text=True)
    client.post("/account/language", data={"locale": "en", "next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page and "Federations" in page
    user = create_user(locale=None)
    login(client, user)
    client.post("/account/language", data={"locale": "es", "next": "/"})
    with app.app_context():
        assert db.session.get(User, user.id).locale == "es"


def test_the_browser_language_is_used_when_nothing_was_chosen(client):
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in page
    page = client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert 'lang="es"' in page


def test_deleting_the_account_erases_the_person_and_keeps_a_former_member(client, app, create_user,
                                                                           create_organization, add_member):
    from deliberate.models import OrganizationKind

    federation = create_organization()
    club = create_organization(kind=OrganizationKind.CLUB, parent=federation)
    user = create_user("Rosa", gender=Gender.WOMAN)
    add_member(user, club)
    login(client, user)
    assert client.post("/account/delete", data={"password": "wrong"}).status_code == 422
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 302
    with app.app_context():
        gone = db.session.get(User, user.id)
        assert gone.is_deleted and gone.display_name == "" and gone.gender is None
        assert "@invalid" in gone.email
        assert all(m.status is MembershipStatus.REMOVED for m in gone.memberships)
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 422
