"""The throttles: per account and per address, shared by every worker through Redis, saying when to try again.

The Redis tests need the Redis at DELIBERATE_TEST_REDIS_URL (default redis://127.0.0.1:6379/0, which CI runs):
without it they fail and say so, they do not skip.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("DELIBERATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WRONG = "wrong password!"


def _client(app, address="192.0.2.10", language="en"):
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, "HTTP_ACCEPT_LANGUAGE": language})
    return client


def _log_in(client, email, password):
    return client.post("/account/login", data={"email": email, "password": password})


@pytest.fixture
def throttled(make_app):
    def make(**limits):
        return make_app(RATELIMIT_ENABLED=True, **{"LOGIN_RATE_LIMIT": "3 per minute",
                                                   "LOGIN_IP_RATE_LIMIT": "10 per minute", **limits})
    return make


def test_wrong_passwords_for_one_account_do_not_lock_out_the_club_hall(throttled, create_user):
    app = throttled()
    hall = _client(app)  # everyone at the club hall comes from one address
    target, neighbour = create_user(), create_user()
    assert [_log_in(hall, target.email, WRONG).status_code for _ in range(3)] == [422] * 3
    refused = _log_in(hall, target.email, PASSWORD)
    assert refused.status_code == 429
    assert _log_in(hall, neighbour.email, PASSWORD).status_code == 302


def test_the_account_limit_holds_whatever_address_the_attempts_come_from(throttled, create_user):
    app = throttled()
    target = create_user()
    for number in range(3):
        _log_in(_client(app, f"198.51.100.{number}"), target.email.upper(), WRONG)
    assert _log_in(_client(app, "198.51.100.99"), target.email, PASSWORD).status_code == 429


def test_one_address_trying_many_accounts_is_stopped(throttled, create_user):
    app = throttled(LOGIN_IP_RATE_LIMIT="4 per minute")
    attacker = _client(app)
    people = [create_user() for _ in range(5)]
    for person in people[:4]:
        assert _log_in(attacker, person.email, WRONG).status_code == 422
    assert _log_in(attacker, people[4].email, PASSWORD).status_code == 429
    assert _log_in(_client(app, "203.0.113.7"), people[4].email, PASSWORD).status_code == 302  # another address


def test_members_who_log_in_fine_use_up_no_attempts(throttled, create_user):
    app = throttled(LOGIN_RATE_LIMIT="2 per minute", LOGIN_IP_RATE_LIMIT="2 per minute")
    member = create_user()
    hall = _client(app)
    for _ in range(4):
        assert _log_in(hall, member.email, PASSWORD).status_code == 302
        hall.post("/account/logout")


def test_the_429_says_when_to_try_again_in_each_language(throttled, create_user):
    app = throttled(LOGIN_RATE_LIMIT="1 per hour")
    user = create_user()
    _log_in(_client(app), user.email, WRONG)
    english = _log_in(_client(app), user.email, PASSWORD)
    assert english.status_code == 429
    wait = int(english.headers["Retry-After"])
    assert 0 < wait <= 3600
    minutes = -(-wait // 60)
    text = english.get_data(as_text=True)
    assert "too many times" in text
    assert re.search(rf"Try again in (1 hour|{minutes} minutes?)\.", text), text
    spanish = _log_in(_client(app, language="es"), user.email, PASSWORD).get_data(as_text=True)
    assert re.search(rf"Vuelve a intentarlo en (1 hora|{minutes} minutos?)\.", spanish), spanish


def test_registration_is_limited_per_email_and_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, REGISTER_RATE_LIMIT="2 per hour", REGISTER_IP_RATE_LIMIT="3 per hour")
    outbox = app.extensions["mail_outbox"]

    def register(client, email):
        password = "maguey en flor 1987"
        return client.post("/account/register", data={"display_name": "Ana", "email": email, "password": password,
                                                      "confirm": password, "locale": "es"}).status_code

    # The same address mailed again and again (someone's inbox flooded), from several places:
    assert [register(_client(app, f"198.51.100.{n}"), "ana@example.org") for n in range(3)] == [302, 302, 429]
    assert len(outbox) == 2
    hall = _client(app, "192.0.2.50")
    assert register(hall, "") == 422  # a form sent back to be corrected is not counted
    assert [register(hall, f"socia{n}@example.org") for n in range(4)] == [302, 302, 302, 429]


def test_password_reset_requests_are_limited_per_email(make_app, create_user):
    app = make_app(RATELIMIT_ENABLED=True, RESET_RATE_LIMIT="2 per hour")
    user = create_user()
    statuses = [_client(app, f"198.51.100.{n}").post("/account/reset", data={"email": user.email}).status_code
                for n in range(3)]
    assert statuses == [302, 302, 429]
    assert len(app.extensions["mail_outbox"]) == 2


def test_the_limiter_counts_in_the_sites_redis_when_one_is_configured(make_app):
    from deliberate.extensions import limiter

    make_app(RATELIMIT_ENABLED=True, REDIS_URL=REDIS_URL)
    assert type(limiter.storage).__name__ == "RedisStorage"
    make_app(RATELIMIT_ENABLED=True)
    assert type(limiter.storage).__name__ == "MemoryStorage"


def _redis() -> redis.Redis:
    connection = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({error}). These tests check that the log-in throttle "
                    "holds across workers: start Redis (redis-server) or point DELIBERATE_TEST_REDIS_URL at one.")
    return connection


_WORKER = """
import json, sys
from deliberate.app import create_app
app = create_app(json.loads(sys.argv[1]))
client = app.test_client()
client.environ_base.update({"REMOTE_ADDR": "192.0.2.10", "HTTP_ACCEPT_LANGUAGE": "en"})
print(json.dumps([client.post("/account/login", data=data).status_code for data in json.loads(sys.argv[2])]))
"""


def _other_worker(config: dict, attempts: list[dict], tmp_path: Path) -> list[int]:
    """Run log-in attempts in another process (another gunicorn worker), with its own app and its own limiter."""
    environment = {**os.environ, "DELIBERATE_INSTANCE_PATH": str(tmp_path / "other-worker")}
    result = subprocess.run([sys.executable, "-c", _WORKER, json.dumps(config), json.dumps(attempts)],
                            env=environment, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_workers_sharing_redis_share_the_log_in_limit(app_config, make_app, create_user, tmp_path):
    connection = _redis()
    prefix = f"deliberate-test-{uuid.uuid4().hex}"
    config = {**app_config, "RATELIMIT_ENABLED": True, "REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix,
              "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False, "LOGIN_RATE_LIMIT": "3 per minute",
              "LOGIN_IP_RATE_LIMIT": "10 per minute"}
    target, neighbour = create_user(), create_user()
    try:
        first_worker = make_app(**{key: value for key, value in config.items() if key not in app_config
                                   or app_config[key] != value})
        client = _client(first_worker)
        assert [_log_in(client, target.email, WRONG).status_code for _ in range(3)] == [422] * 3
        assert connection.keys(f"*{prefix}*"), "nothing was counted in Redis"
        stored = " ".join(key.decode() for key in connection.keys(f"*{prefix}*"))
        assert target.email not in stored and "192.0.2.10" not in stored  # neither email nor IP address is kept
        # The second worker has counted nothing itself, and still refuses: the count is shared.
        assert _other_worker(config, [{"email": target.email, "password": PASSWORD},
                                      {"email": neighbour.email, "password": PASSWORD}], tmp_path) == [429, 302]
    finally:
        keys = connection.keys(f"*{prefix}*")
        if keys:
            connection.delete(*keys)


def test_workers_counting_in_memory_do_not_share_the_limit(app_config, make_app, create_user, tmp_path):
    """Why production refuses memory:// with several workers: each worker allows the full number of attempts."""
    config = {**app_config, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}
    target = create_user()
    client = _client(make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute"))
    assert [_log_in(client, target.email, WRONG).status_code for _ in range(4)] == [422, 422, 422, 429]
    assert _other_worker(config, [{"email": target.email, "password": WRONG}] * 3, tmp_path) == [422] * 3
