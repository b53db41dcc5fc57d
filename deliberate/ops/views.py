"""Health for a load balancer: ``/healthz`` (the process answers) and ``/readyz`` (its database and Redis do too).

Both are cheap, carry no personal data and are never rate-limited; ``/readyz`` answers 503 with the failing
checks' names when the site cannot serve.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from deliberate.extensions import limiter
from deliberate.ops import checks

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Say that the process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Say whether the database (at the latest migration) and Redis, when used, answer."""
    failing = sorted({finding.topic for finding in checks.services(current_app) if finding.level == checks.ERROR})
    return jsonify(status="unavailable" if failing else "ok", failing=failing), 503 if failing else 200
