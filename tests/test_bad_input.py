"""A battery of bad input against every route: no answer is ever a 500.

Every rule of ``app.url_map`` is asked, by an anonymous visitor, a member and a board member, with hostile ids
(0, -1, 2**31, 2**63, 10**30, words), hostile query parameters (``page``, ``category``, ``v`` … out of any range)
and, for every POST, every form field of the app filled with a NUL byte, with markup that cleans to nothing and
with ten thousand characters.
"""

from __future__ import annotations

import re

import pytest
from flask_wtf import FlaskForm
from werkzeug.routing import Rule
from wtforms.fields.core import UnboundField

from deliberate.consultations.services import advance_phase, create_consultation
from deliberate.deliberation import services as deliberation
from deliberate.demands import services as demands
from deliberate.domain.phases import Phase
from deliberate.extensions import db
from deliberate.models import Language, Target, User

HOSTILE_IDS = ("0", "-1", str(2**31), str(2**63), str(10**30), "abc", "9" * 5000)
HOSTILE_QUERY = "?" + "&".join(f"{name}={value}" for name, value in (
    ("page", 10**30), ("category", 2**31), ("club", 2**63), ("v", 10**30), ("per_page", 10**30),
    ("q", "%00%3Cb%3E%3C/b%3E"), ("similar", 1), ("what_if", 1), ("next", "%00"), ("target", "%00"),
    ("language", "%00"), ("sort", "%00"),
))
NUL, MARKUP_ONLY, TOO_LONG = "a\x00b", "<b></b><i> </i>", "palabra " * 1250
#: Sensible values for the fields that are not free text, so that a form reaches its service.
DEFAULTS = {"value": "1", "return_to": "flow", "role": "member", "locale": "es", "gender": "", "confirm": "y",
            "language": "es", "target": "hometown_municipality", "sort": "newest", "time_zone": "UTC"}


def _form_fields(app) -> set[str]:
    """Collect the name of every field of every form in the app (and the prefixed ones of the argument forms)."""
    names: set[str] = set()
    stack = list(FlaskForm.__subclasses__())
    while stack:
        form_class = stack.pop()
        stack.extend(form_class.__subclasses__())
        for base in form_class.__mro__:
            names.update(name for name, value in vars(base).items() if isinstance(value, UnboundField))
    names.discard("csrf_token")
    return names | {f"{side}-body" for side in ("for", "against")}


@pytest.fixture
def world(app, federation_world):
    """The federation world with a collecting consultation, a demand and an argument on it."""
    w = federation_world
    with app.app_context():
        board = db.session.get(User, w["board"].id)
        consultation = create_consultation(db.session.merge(w["federation"]), board, title_es="Consulta",
                                           title_en="Consultation")
        advance_phase(consultation, board, Phase.DRAFT, Phase.COLLECTING)
        demand = demands.submit_demand(consultation, db.session.get(User, w["member"].id), demands.DemandInput(
            title="Agua potable", body="Para todos", category_id=None, target=Target.HOMETOWN_MUNICIPALITY,
            language=Language.ES))
        argument = deliberation.write_argument(consultation, db.session.get(User, w["officer"].id), demand, "for",
                                               "Es urgente")
        ids = {"consultation_id": consultation.id, "demand_id": demand.id, "argument_id": argument.id}
    return {**w, "ids": ids, "slug": w["federation"].slug}


_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\((?P<options>[^)]*)\))?:)?(?P<name>[a-z_]+)>")


def _path(rule: Rule, world: dict, hostile: tuple[str, str] | None = None) -> str:
    """Fill a rule's arguments with real values, or one of them with a hostile value."""

    def fill(match: re.Match) -> str:
        name, converter = match["name"], match["converter"]
        if hostile is not None and hostile[0] == name:
            return hostile[1]
        if converter == "any":
            return match["options"].split(",")[0].strip()
        if converter == "int":
            return str(world["ids"].get(name, 1))
        return {"slug": world["slug"], "side": "for", "subject_type": "demand", "action": "hide"}.get(name, "x")

    return _ARGUMENT.sub(fill, rule.rule)


def _requests(app, world):
    """Yield (method, path) for every rule: real values with hostile query parameters, then each argument hostile."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        names = [m["name"] for m in _ARGUMENT.finditer(rule.rule)]
        paths = [_path(rule, world) + HOSTILE_QUERY]
        for name in names:
            converter = next(m["converter"] for m in _ARGUMENT.finditer(rule.rule) if m["name"] == name)
            values = HOSTILE_IDS if converter == "int" else ("%00", "x%00y", "%3Cb%3E", "z" * 3000)
            paths += [_path(rule, world, (name, value)) for value in values if converter != "any"]
        for method in methods:
            for path in paths:
                yield rule.endpoint, method, path


def _payloads(fields: set[str]):
    text = [NUL, MARKUP_ONLY, TOO_LONG]
    for value in text:
        yield dict.fromkeys(fields, value)  # every field hostile
        yield {name: DEFAULTS.get(name, value) for name in fields}  # free text hostile, choices sensible


def _ask(client, method: str, path: str, data: dict | None = None):
    try:
        return client.open(path, method=method, data=data).status_code
    except Exception as error:  # noqa: BLE001 - the battery reports every crash, whatever it is
        return f"{type(error).__name__}: {error}"[:300]


@pytest.mark.parametrize("who", ["anonymous", "member", "board"])
def test_no_route_answers_500_to_hostile_ids_parameters_or_form_fields(app, client, world, log_in, who, caplog):
    def log_in_again():
        if who != "anonymous":
            log_in(client, world[who])

    log_in_again()
    fields = _form_fields(app)
    failures = []
    for endpoint, method, path in _requests(app, world):
        if endpoint in {"auth.logout", "auth.delete_account"} and method == "POST":
            continue  # asked last, below: they would end this person's session
        payloads = list(_payloads(fields)) if method == "POST" and "?" in path else [None]
        for data in payloads:
            status = _ask(client, method, path, data)
            if not isinstance(status, int) or (status >= 500 and status != 503):  # 503: /readyz, not ready
                failures.append((method, path[:120], status, sorted(data)[:3] if data else None))
            if method == "POST":
                log_in_again()  # a hostile post (a language switch, a password change) must not end the run
    for payload in _payloads(fields):
        for path in ("/account/delete", "/account/logout"):
            status = _ask(client, "POST", path, payload)
            if not isinstance(status, int) or status >= 500:
                failures.append(("POST", path, status, None))
        log_in_again()
    assert failures == []
    # The database's refusal is only a backstop: every value was stopped at the route or by a form before it.
    assert [r.getMessage()[:200] for r in caplog.records if "refused a value" in r.getMessage()] == []


def test_every_int_route_uses_the_bounded_converter(app):
    from deliberate.routing import DB_INT_MAX, BoundedIntegerConverter

    converters = [c for rule in app.url_map.iter_rules() for c in rule._converters.values()
                  if isinstance(c, BoundedIntegerConverter)]
    assert converters and all(c.max <= DB_INT_MAX for c in converters)
    with app.test_request_context():
        assert all(type(c).__name__ != "IntegerConverter" for rule in app.url_map.iter_rules()
                   for c in rule._converters.values())


@pytest.mark.parametrize("path", ["/demands/2147483648", "/agendas/2147483648.csv", "/agendas/2147483648",
                                  "/consultations/99999999999999999999/results", "/notifications/99999999999/read"])
def test_ids_beyond_the_database_integer_are_not_found(client, world, log_in, path):
    log_in(client, world["member"])
    method = "POST" if path.endswith("/read") else "GET"
    assert client.open(path, method=method).status_code == 404


def test_huge_page_and_filter_numbers_are_ignored_not_crashed(client, world, log_in):
    log_in(client, world["member"])
    consultation_id = world["ids"]["consultation_id"]
    response = client.get(f"/consultations/{consultation_id}/demands?page={10**30}&category=2147483648&club={2**63}")
    assert response.status_code == 200 and "Agua potable" in response.get_data(as_text=True)
    assert client.get(f"/notifications?page={10**30}").status_code == 200


def test_a_nul_byte_in_the_log_in_email_is_a_wrong_log_in(client, world):
    response = client.post("/account/login", data={"email": "member\x00@example.org", "password": "x"})
    assert response.status_code == 422


def test_a_nul_byte_in_a_demand_title_is_a_form_error_that_keeps_the_text(client, world, log_in):
    log_in(client, world["member"])
    consultation_id = world["ids"]["consultation_id"]
    response = client.post(f"/consultations/{consultation_id}/demands/new", data={
        "title": "Agua\x00 limpia", "body": "texto", "category_id": "0", "target": "hometown_municipality",
        "language": "es"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "invalid or invisible characters" in page and "limpia" in page


def test_a_club_name_made_only_of_markup_is_a_form_error(client, app, world, log_in):
    log_in(client, world["board"])
    response = client.post(f"/o/{world['slug']}/clubs", data={"name": "<b></b><script></script>"},
                           follow_redirects=True)
    assert response.status_code == 200 and "Only markup was written here" in response.get_data(as_text=True)
    with app.app_context():
        from deliberate.models import Organization

        assert db.session.query(Organization).filter_by(name="").count() == 0


def test_a_display_name_made_only_of_markup_is_a_form_error(client, world, log_in):
    log_in(client, world["member"])
    response = client.post("/account/profile", data={"display_name": "<i></i>", "locale": "en", "gender": ""})
    assert response.status_code == 422 and "Only markup was written here" in response.get_data(as_text=True)


def test_a_date_in_year_9999_is_a_form_error(client, world, log_in):
    log_in(client, world["board"])
    consultation_id = world["ids"]["consultation_id"]
    response = client.post(f"/consultations/{consultation_id}/edit", data={
        "title_es": "Consulta", "collecting_until": "9999-12-31"})
    assert response.status_code == 422 and "between the years 2000 and 2099" in response.get_data(as_text=True)
    response = client.post(f"/consultations/{consultation_id}/agenda/window", data={"until": "9999-12-31T23:59"})
    assert response.status_code < 500


def test_a_refusal_no_view_handles_is_a_translated_page(app, client, world):
    from deliberate.domain.errors import Conflict, NotFound, ValidationFailed

    @app.get("/_raise/<kind>")
    def _raise(kind):
        raise {"conflict": Conflict("stale"), "missing": NotFound("x"), "bad": ValidationFailed("x", "too_long")}[kind]

    assert client.get("/_raise/conflict").status_code == 409
    assert client.get("/_raise/missing").status_code == 404
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    response = client.get("/_raise/bad")
    assert response.status_code == 422 and "demasiado largo" in response.get_data(as_text=True)
