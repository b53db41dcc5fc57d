"""One log line per request, with a request id; never a ballot, a receipt, a password, a token or an email body.

A line names the route's rule (``/account/reset/<token>``), never the path a visitor typed nor its query string, so
tokens and codes in addresses stay out of the log; no request body is ever logged. ``DELIBERATE_LOG_JSON=1`` writes
each line as JSON for a log collector. The id comes from a well-formed ``X-Request-ID`` of the proxy, else is new,
and is sent back in the response.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import time

from flask import Flask, Response, current_app, g, request

LOGGER = logging.getLogger("deliberate.requests")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(8)
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.pop("request_started", None)
    if started is None:
        return response
    rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
    line = {"request_id": g.request_id, "method": request.method, "route": rule, "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1), "bytes": response.calculate_content_length()}
    response.headers["X-Request-ID"] = g.request_id
    if LOGGER.isEnabledFor(logging.INFO):
        if _json():
            LOGGER.info(json.dumps(line, separators=(",", ":")))
        else:
            LOGGER.info("%(request_id)s %(method)s %(route)s %(status)s %(ms)sms", line)
    return response


def _json() -> bool:
    return bool(current_app.config.get("LOG_JSON")) or os.environ.get("DELIBERATE_LOG_JSON", "") not in ("", "0")


def init_app(app: Flask) -> None:
    """Log each request as one line (see the module docstring); set the logger up when nothing else has."""
    app.before_request(_start)
    app.after_request(_finish)
    if not app.testing and not LOGGER.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        LOGGER.addHandler(handler)
    if LOGGER.level == logging.NOTSET:
        LOGGER.setLevel(logging.INFO)
