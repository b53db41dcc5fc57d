"""Log-ins end when they should: a copied cookie stops working after log-out, a password change or reset, and
"log out everywhere else"; a remember-me cookie too. What a thief with a seized phone's cookies would try."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from deliberate.extensions import db
from deliberate.models.accounts import UserSession
from tests.factories import PASSWORD

NEW_PASSWORD = "sombrero de charro 2"


def _browser(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _log_in(client, user, password=PASSWORD, remember=False):
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/account/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _logged_in(client) -> bool:
    return client.get("/account/profile").status_code == 200


def _copy_cookie(client, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _replay(app, **cookies):
    """Return a new browser that carries only the given cookies (a copy taken from another device)."""
    thief = _browser(app)
    for name, value in cookies.items():
        thief.set_cookie(name, value, domain="localhost")
    return thief


def test_a_session_cookie_replayed_after_log_out_no_longer_logs_in(app, client, create_user):
    _log_in(client, create_user())
    copied = _copy_cookie(client, "session")
    assert _logged_in(_replay(app, session=copied))  # the copy works while the log-in lasts
    client.post("/account/logout")
    assert not _logged_in(client)
    assert not _logged_in(_replay(app, session=copied))


def test_logging_out_on_one_device_keeps_the_others_logged_in(app, create_user):
    user = create_user()
    phone, hall_computer = _browser(app), _browser(app)
    _log_in(phone, user)
    _log_in(hall_computer, user)
    hall_computer.post("/account/logout")
    assert _logged_in(phone) and not _logged_in(hall_computer)


def test_a_password_change_ends_the_other_log_ins_and_keeps_this_one(app, create_user):
    user = create_user()
    phone, laptop = _browser(app), _browser(app)
    _log_in(phone, user)
    _log_in(laptop, user, remember=True)
    remembered = _copy_cookie(laptop, "remember_token")
    response = phone.post("/account/password",
                          data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                          follow_redirects=True)
    assert "every other device was logged out" in response.get_data(as_text=True)
    assert _logged_in(phone)
    assert not _logged_in(laptop)
    assert not _logged_in(_replay(app, remember_token=remembered))


def test_a_remember_me_cookie_works_until_the_member_logs_out_everywhere_else(app, create_user):
    user = create_user()
    phone, desk = _browser(app), _browser(app)
    _log_in(phone, user, remember=True)
    remembered = _copy_cookie(phone, "remember_token")
    assert _logged_in(_replay(app, remember_token=remembered))  # a browser restarted, with only the cookie
    _log_in(desk, user)
    page = desk.get("/account/profile").get_data(as_text=True)
    assert "Log out everywhere else" in page
    response = desk.post("/account/logout-elsewhere", follow_redirects=True)
    assert "logged out on every other device" in response.get_data(as_text=True)
    assert _logged_in(desk)
    assert not _logged_in(phone)
    assert not _logged_in(_replay(app, remember_token=remembered))


def test_log_out_everywhere_else_is_a_post_with_a_csrf_token(make_app, create_user, log_in):
    guarded = make_app(WTF_CSRF_ENABLED=True)
    client = _browser(guarded)
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    user = create_user()
    client.post("/account/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert client.get("/account/logout-elsewhere").status_code == 405
    assert client.post("/account/logout-elsewhere").status_code == 400  # a forged form from another site
    assert _logged_in(client)


def test_a_password_reset_ends_every_log_in(app, create_user, outbox):
    user = create_user()
    phone = _browser(app)
    _log_in(phone, user, remember=True)
    remembered = _copy_cookie(phone, "remember_token")
    visitor = _browser(app)
    visitor.post("/account/reset", data={"email": user.email})
    link = re.search(r"http://localhost(/account/reset/\S+)", outbox[-1].get_content()).group(1)
    assert visitor.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert not _logged_in(phone)
    assert not _logged_in(_replay(app, remember_token=remembered))
    _log_in(visitor, user, NEW_PASSWORD)


def test_a_deleted_accounts_cookies_log_nobody_in(app, client, create_user):
    _log_in(client, create_user(), remember=True)
    copied = {"session": _copy_cookie(client, "session"), "remember_token": _copy_cookie(client, "remember_token")}
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 302
    assert not _logged_in(_replay(app, **copied))
    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id))) == 0


def test_a_cookie_naming_only_a_user_id_logs_nobody_in(client, create_user):
    user = create_user()
    with client.session_transaction() as session:  # what cookies made before log-ins had tokens carry
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert not _logged_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:not-a-real-token"
    assert not _logged_in(client)


def test_a_token_of_one_member_does_not_open_another_members_account(app, client, create_user):
    first, second = create_user(), create_user()
    _log_in(client, first)
    with client.session_transaction() as session:
        token = session["_user_id"].partition(":")[2]
        session["_user_id"] = f"{second.id}:{token}"
    assert not _logged_in(client)


def test_a_phone_that_changes_network_stays_logged_in(client, create_user):
    _log_in(client, create_user())
    assert client.get("/account/profile", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/account/profile", headers={"X-Forwarded-For": "172.16.0.9"}).status_code == 200


def test_the_database_keeps_only_a_hash_of_each_log_in(app, client, create_user):
    _log_in(client, create_user())
    with client.session_transaction() as session:
        token = session["_user_id"].partition(":")[2]
    with app.app_context():
        stored = db.session.scalars(select(UserSession.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def test_expired_log_ins_stop_working_and_are_cleared_at_the_next_log_in(app, create_user):
    user = create_user()
    phone = _browser(app)
    _log_in(phone, user)
    with app.app_context():
        row = db.session.scalar(select(UserSession))
        row.expires_at = row.created_at.replace(year=2000)
        db.session.commit()
    assert not _logged_in(phone)
    _log_in(_browser(app), user)
    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id))) == 1
