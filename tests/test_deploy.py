"""The production example works as written: gunicorn behind deploy/nginx.conf, over HTTPS, with the app's settings.

The site configuration is used as shipped; only its ports, certificate, static path and log paths are rewritten
for a test run (a self-signed certificate, free ports, a temporary folder). Needs nginx and openssl, as .ci/run
installs them.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(url: str, context: ssl.SSLContext | None, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, context=context, timeout=5).close()  # noqa: S310 - a local test server
            return
        except OSError:  # refused, or nginx's 502 while gunicorn starts
            for process in processes:
                if process.poll() is not None:
                    pytest.fail(f"{process.args[0]} stopped with {process.returncode}")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Serve the app with gunicorn behind nginx configured by deploy/nginx.conf; yield its addresses."""
    if not Path(NGINX).exists() or not shutil.which("openssl"):
        pytest.fail("nginx and openssl are needed (apt-get install nginx openssl; .ci/run installs them)")
    where = tmp_path_factory.mktemp("deploy")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-keyout", str(where / "key.pem"), "-out", str(where / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    http_port, https_port, app_port = _free_port(), _free_port(), _free_port()
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = re.sub(r"^\s*listen \[::\].*$", "", conf, flags=re.M)
    conf = (conf.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
            .replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
            .replace("/etc/letsencrypt/live/agenda.example.org/fullchain.pem", str(where / "cert.pem"))
            .replace("/etc/letsencrypt/live/agenda.example.org/privkey.pem", str(where / "key.pem"))
            .replace("/srv/deliberate/venv/lib/python3.11/site-packages/deliberate/static/", f"{ROOT / 'static'}/")
            .replace("/var/log/nginx/", f"{where}/")
            .replace("agenda.example.org", "localhost")
            # a test port is not 443: the host the browser names carries it, as the CSRF referrer check expects
            .replace("Host $host;", "Host $http_host;"))
    (where / "nginx.conf").write_text(
        f"pid {where}/nginx.pid;\nerror_log {where}/error.log;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n include /etc/nginx/mime.types;\n client_body_temp_path {where}/body;\n"
        f" proxy_temp_path {where}/proxy;\n fastcgi_temp_path {where}/fastcgi;\n uwsgi_temp_path {where}/uwsgi;\n"
        f" scgi_temp_path {where}/scgi;\n{conf}\n}}\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("DELIBERATE_")}
    env.update(DELIBERATE_SECRET_KEY="s" * 64, DELIBERATE_BALLOT_KEY="b" * 64, DELIBERATE_PROXY_HOPS="1",
               DELIBERATE_BASE_URL=f"https://127.0.0.1:{https_port}", DELIBERATE_WORKERS="1",
               DELIBERATE_DATABASE_URL=f"sqlite:///{where / 'site.sqlite3'}", DELIBERATE_INSTANCE_PATH=str(where))
    subprocess.run([sys.executable, "-m", "flask", "--app", "deliberate.app", "db", "upgrade"], env=env, cwd=where,
                   check=True, capture_output=True, timeout=300)
    subprocess.run([sys.executable, "-m", "flask", "--app", "deliberate.app", "create-admin", "admin@example.org",
                    "--password", "a long admin password"], env=env, cwd=where, check=True, capture_output=True,
                   timeout=300)
    log = (where / "gunicorn.log").open("wb")
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
                                 f"127.0.0.1:{app_port}", "deliberate.wsgi:app"], env=env, cwd=where, stdout=log,
                                stderr=subprocess.STDOUT)
    nginx = subprocess.Popen([NGINX, "-c", str(where / "nginx.conf"), "-p", str(where), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    context = ssl.create_default_context(cafile=str(where / "cert.pem"))
    context.check_hostname = False
    try:
        _wait(f"https://127.0.0.1:{https_port}/healthz", context, [gunicorn, nginx])
        yield {"https": f"https://127.0.0.1:{https_port}", "http": f"http://127.0.0.1:{http_port}",
               "context": context, "where": where}
    finally:
        for process in (nginx, gunicorn):
            process.terminate()
            process.wait(timeout=30)
        log.close()


class _Response:
    def __init__(self, raw):
        self.status, self.headers, self.body = raw.status, raw.headers, raw.read().decode()
        raw.close()


def _open(site, path, data=None, headers=None, jar=None) -> _Response:
    handlers = [urllib.request.HTTPSHandler(context=site["context"]), _NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(site["https"] + path, data=data, headers=headers or {})  # noqa: S310 - a local test server
    try:
        return _Response(opener.open(request, timeout=10))
    except urllib.error.HTTPError as response:
        return _Response(response)


def test_the_site_answers_over_https_in_spanish_with_hsts_and_secure_cookies(site):
    response = _open(site, "/", headers={"Accept-Language": "es"})
    page = response.body
    assert response.status == 200 and 'lang="es"' in page and "Federaciones" in page
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])  # nginx's id, carried through
    assert _open(site, "/static/css/style.css").status == 200
    assert _open(site, "/readyz").status == 200


def test_plain_http_is_sent_to_https(site):
    opener = urllib.request.build_opener(_NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as moved:
        opener.open(site["http"] + "/agendas/1", timeout=10)
    moved.value.close()
    assert moved.value.code == 301 and moved.value.headers["Location"].startswith("https://")


def test_a_log_in_through_the_proxy_keeps_https_and_the_access_log_keeps_no_address(site):
    jar = http.cookiejar.CookieJar()
    form = _open(site, "/account/login", jar=jar).body
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert found, form[-2000:]
    token = found.group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": "admin@example.org",
                                   "password": "a long admin password"}).encode()
    response = _open(site, "/account/login", data=data, jar=jar,
                     headers={"Referer": site["https"] + "/account/login"})
    assert response.status == 302 and not response.headers["Location"].startswith("http:")
    assert _open(site, "/account/profile", jar=jar).status == 200  # logged in, over HTTPS, through the proxy
    _open(site, "/account/reset/a-token-in-the-address")
    access = (site["where"] / "deliberate.access.log").read_text()
    assert "a-token-in-the-address" not in access and "/account" not in access
