"""Throughput of the API list, the Django admin changelist and /healthz under load, as production serves them.

Builds a throw-away organisation (N models with three versions each) and commits it, starts gunicorn with the
production settings (DEBUG off, sync workers, as README's "Deploy it" runs it) on a free local port, and runs wrk
against each URL for a fixed time: an API token for the list, a signed-in superuser's session for the admin.
Prints requests/s, p50 and p99 latency and the errors; then stops gunicorn and deletes what it built.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from governance.core.roles import Role
from governance.demo.benchmark import build_inventory, build_organisation
from governance.models import AIModel, TokenScope
from governance.services.accounts import issue_api_token


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    credentials = params.get("USER") or ""
    if params.get("PASSWORD"):
        credentials += f":{params['PASSWORD']}"
    host = f"{params.get('HOST') or '127.0.0.1'}:{params.get('PORT') or 5432}"
    return f"postgres://{credentials}{'@' if credentials else ''}{host}/{params['NAME']}"


def _wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError("gunicorn stopped at start; see its output above.")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise CommandError(f"gunicorn did not answer {url} within a minute.")


@contextmanager
def gunicorn_server(workers: int) -> Iterator[str]:
    """gunicorn with the production settings (DEBUG off, sync workers) on this database and a free local port;
    yields its base URL once /healthz answers, and stops it afterwards. ``bench_ingest`` uses it too."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "plumbline-bench-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "config.wsgi",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)
    try:
        _wait_for(f"{base}/healthz", server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


class Command(BaseCommand):
    help = "Requests/s, p50 and p99 of GET /api/v1/models/, the admin model changelist and /healthz (wrk, gunicorn)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--models", type=int, default=10_000, help="Models in the inventory (default 10,000)."
        )
        parser.add_argument("--seconds", type=int, default=10, help="Load per URL (default 10 s).")
        parser.add_argument("--connections", type=int, default=8, help="Concurrent connections (default 8).")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2).")

    def handle(self, *args, **options):
        wrk = shutil.which("wrk")
        if wrk is None:
            raise CommandError(
                "wrk is not installed: apt-get install wrk (make bench-api installs it as root)."
            )
        if not 1 <= options["seconds"] <= 120 or options["models"] < 1:
            raise CommandError("--seconds is 1 to 120 and --models at least 1.")
        organisation, people = build_organisation(f"api-{options['models']}")
        admin = people[Role.ADMIN]
        try:
            build_inventory(organisation, admin, options["models"], version_count=3)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # VACUUM as autovacuum would after a bulk load: without a visibility map, the COUNT of a page
                    # (an index-only scan) reads every table page too. Not possible in a transaction (a test's).
                    cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])
            _, token = issue_api_token(admin, name="bench_api", scope=TokenScope.READ, lifetime_days=1)
            browser = Client()
            browser.force_login(admin)
            session = browser.cookies[settings.SESSION_COOKIE_NAME].value
            self._load(wrk, options, token, session)
        finally:
            AIModel.objects.filter(organisation=organisation).delete()  # protected from a cascade: first
            organisation.delete()
            get_user_model().objects.filter(pk__in=[person.pk for person in people.values()]).delete()

    def _load(self, wrk: str, options: dict, token: str, session: str) -> None:
        with gunicorn_server(options["workers"]) as base:
            self.stdout.write(
                f"{connection.vendor}, {options['models']:,} models, gunicorn {options['workers']} sync workers, "
                f"wrk {options['connections']} connections for {options['seconds']} s each"
            )
            self.stdout.write(f"{'url':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
            cases = [
                ("/api/v1/models/", ["-H", f"Authorization: Token {token}"]),
                ("/admin/governance/aimodel/", ["-H", f"Cookie: {settings.SESSION_COOKIE_NAME}={session}"]),
                ("/healthz", []),
            ]
            for path, headers in cases:
                self._run(wrk, base + path, headers, options)

    def _run(self, wrk: str, url: str, headers: list[str], options: dict) -> None:
        # wrk counts a redirect (to the login page, say) as a success: check the page really answers first.
        request = urllib.request.Request(url)
        for _, header in zip(headers[::2], headers[1::2], strict=True):
            name, _, value = header.partition(": ")
            request.add_header(name, value)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            status = opener.open(request, timeout=30).status
        except urllib.error.HTTPError as error:
            status = error.code
        if status != 200:
            raise CommandError(f"{url} answered {status}, not 200: fix that before measuring it.")
        done = subprocess.run(
            [
                wrk,
                "--threads",
                "1",
                "--connections",
                str(options["connections"]),
                "--duration",
                f"{options['seconds']}s",
                "--timeout",
                "10s",
                "--latency",
                *headers,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=options["seconds"] + 60,
        )
        output = done.stdout
        rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
        latencies = {percent: float(value) * TO_MS[unit] for percent, value, unit in LATENCY.findall(output)}
        non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
        socket_errors = re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
        )
        errors = int(non_2xx.group(1)) if non_2xx else 0
        errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
        path = url.split("127.0.0.1", 1)[1].split("/", 1)[1]
        self.stdout.write(
            f"{'/' + path:<34}{float(rate.group(1)) if rate else 0:>9.0f}"
            f"{latencies.get('50', 0):>9.1f}{latencies.get('99', 0):>9.1f}{errors:>8}"
        )
