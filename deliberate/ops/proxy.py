"""Trust a reverse proxy's forwarded headers, as far as the proxy chain goes and no further.

Behind nginx, every request comes from 127.0.0.1: the log-in throttle would count one address for everyone, and
the app would think it is served over plain HTTP. ``PROXY_HOPS`` (``DELIBERATE_PROXY_HOPS``) is the number of
proxies in front of the app; that many ``X-Forwarded-For``, ``-Proto``, ``-Host`` and ``-Prefix`` values are
trusted. Zero (the default) trusts none: a visitor could forge them.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops < 0:
        raise ValueError("DELIBERATE_PROXY_HOPS must be 0 (no proxy) or the number of proxies in front of the app")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)  # type: ignore[method-assign]
