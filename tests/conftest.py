"""Fixtures shared by the whole suite: organisations, members by role, API clients, the browser.

Area-specific fixtures live in tests/<area>/conftest.py.
"""

import os
import shutil
from collections.abc import Callable, Iterator

import pytest
from rest_framework.test import APIClient

from governance.core.roles import Role
from tests.celery_helpers import reset_celery_pools
from tests.factories import PASSWORD, BusinessUnitFactory, MembershipFactory, OrganisationFactory, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Playwright's sync API keeps an event loop running in the test thread; the ORM calls that fixtures and tests make
# there are still plain synchronous code, so Django's async-safety guard would only get in the way.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _flush_past_the_audit_truncate_guard() -> None:
    """Django empties the database after each transactional test with TRUNCATE, which PostgreSQL refuses for the
    audit trail (migration 0013). The tests' database owner lifts that guard for the flush statement only, as a
    database administrator would have to; the application itself never does."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    guarded = {
        "governance_auditevent": "governance_auditevent_no_truncate",
        "governance_auditcheckpoint": "governance_auditcheckpoint_no_truncate",
    }
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        lifted = [(table, trigger) for table, trigger in guarded.items() if table in tables]
        if not statements or not lifted:
            return statements
        return [
            *(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}";' for table, trigger in lifted),
            *statements,
            *(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}";' for table, trigger in lifted),
        ]

    DatabaseOperations.sql_flush = sql_flush


_flush_past_the_audit_truncate_guard()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Rate-limit counters of this test only (the suite shares one Redis otherwise).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Acme Test Bank")


@pytest.fixture
def other_organisation(db):
    return OrganisationFactory(name="Other Corp")


@pytest.fixture
def business_unit(organisation):
    return BusinessUnitFactory(organisation=organisation, name="Retail Banking")


@pytest.fixture
def make_member(db, organisation) -> Callable:
    """make_member(role, organisation=None, username=None) -> a user with that role in the organisation."""

    def make(role: str = Role.ASSESSOR, organisation=organisation, username: str | None = None):
        user = UserFactory(username=username) if username else UserFactory()
        MembershipFactory(user=user, organisation=organisation, role=role)
        return user

    return make


@pytest.fixture
def permissive_release_policy(organisation):
    """A release policy that requires no check (what an organisation has before it sets one): for tests of
    approvals that are not about the release checks."""
    from governance.models import ReleasePolicy
    from governance.rules.release_policy import PROFILES, TARGETS

    return ReleasePolicy.objects.create(
        organisation=organisation,
        version=1,
        rules={"profiles": {profile: {target: [] for target in TARGETS} for profile in PROFILES}},
        note="Tests: approvals checked by people only.",
    )


@pytest.fixture
def admin_user_member(make_member):
    return make_member(Role.ADMIN, username="org-admin")


@pytest.fixture
def assessor(make_member):
    return make_member(Role.ASSESSOR, username="assessor")


@pytest.fixture
def executive(make_member):
    return make_member(Role.EXECUTIVE, username="executive")


@pytest.fixture
def model_owner(make_member):
    return make_member(Role.MODEL_OWNER, username="model-owner")


@pytest.fixture
def risk_officer(make_member):
    return make_member(Role.RISK_OFFICER, username="risk-officer")


@pytest.fixture
def auditor(make_member):
    return make_member(Role.AUDITOR, username="auditor")


@pytest.fixture
def outsider(db, other_organisation):
    """An admin of another organisation: must see none of ``organisation``'s data (404)."""
    user = UserFactory(username="outsider")
    MembershipFactory(user=user, organisation=other_organisation, role=Role.ADMIN)
    return user


@pytest.fixture
def api_client() -> Callable:
    """api_client(user) -> an APIClient authenticated with a read-and-write token of the user, as a pipeline
    would be (one token per user, issued on first use)."""
    from governance.models import TokenScope
    from governance.services.accounts import issue_api_token

    issued: dict[int, str] = {}

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            if user.pk not in issued:
                issued[user.pk] = issue_api_token(user, name="tests", scope=TokenScope.READ_WRITE)[1]
            client.credentials(HTTP_AUTHORIZATION=f"Token {issued[user.pk]}")
        return client

    return make


@pytest.fixture
def login(client) -> Callable:
    """login(user) -> the Django test client logged in as that user."""

    def do(user):
        client.force_login(user)
        return client

    return do


# --- Browser tests (Playwright driving Debian's chromium; never a downloaded browser) ---------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"No Chromium at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def _log_in(page, base_url: str, user):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page


@pytest.fixture(autouse=True)
def _no_content_security_policy_violations(request) -> Iterator[None]:
    """A browser test fails if the page broke the Content-Security-Policy (an inline script, a foreign origin)."""
    if request.node.get_closest_marker("browser") is None or "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield
    assert not violations, violations


@pytest.fixture
def browser_login(live_server, page) -> Callable:
    """browser_login(user) -> a Playwright page logged in through the real login form."""
    return lambda user: _log_in(page, live_server.url, user)


@pytest.fixture
def browser_login_elsewhere(live_server, browser) -> Iterator[Callable]:
    """browser_login_elsewhere(user) -> a page in a browser context of its own (own cookies and session):
    a second person working at the same time as ``browser_login``'s."""
    contexts = []

    def do(user):
        context = browser.new_context()
        contexts.append(context)
        return _log_in(context.new_page(), live_server.url, user)

    yield do
    for context in contexts:
        context.close()


# --- Real Celery workers (reports) ------------------------------------------------------------------


class CeleryWorkers:
    """Starts real ``celery -A config worker`` processes against this test's database and broker: the solo pool
    by default (one process), or ``pool="prefork"`` with one child, as production runs them."""

    def __init__(self, env: dict[str, str], log_dir, broker: str) -> None:
        self.env, self.log_dir, self.broker = env, log_dir, broker
        self.processes: list = []

    def start(self, extra_env: dict[str, str] | None = None, timeout: float = 60, pool: str = "solo"):
        import subprocess
        import sys
        import time

        index = len(self.processes)
        log_path = self.log_dir / f"worker-{index}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            pool,
            *(["--concurrency", "1"] if pool == "prefork" else []),
            "--loglevel",
            "INFO",
        ]
        command += [
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test{index}-{os.getpid()}@%h",
        ]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                # The filesystem broker writes its pidbox "control" folder into the working directory.
                cwd=str(self.log_dir),
                env={**self.env, **(extra_env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process.log_path = log_path
        self.processes.append(process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in log_path.read_text(errors="replace"):
                return process
            if process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"Celery worker did not start:\n{log_path.read_text(errors='replace')[-4000:]}")

    def kill(self, process) -> None:
        import signal

        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(p.log_path.read_text(errors="replace") for p in self.processes)

    def stop_all(self) -> None:
        import subprocess

        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(process)


def _database_url(settings_dict: dict) -> str:
    from urllib.parse import quote

    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user, password = quote(settings_dict.get("USER") or ""), quote(settings_dict.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, settings, tmp_path, worker_id):
    """A controller for real Celery worker subprocesses: ``celery_worker_process.start()``.

    The workers see this test's database (tests must use ``django_db(transaction=True)``: the data has to be
    committed), its MEDIA_ROOT, and a broker of their own: with REDIS_URL, a Redis database numbered after the
    xdist worker (gw0 -> /1), flushed first; otherwise a filesystem broker folder under tmp_path. Workers are
    stopped before the database is flushed.
    """
    from django.conf import settings as django_settings
    from django.db import connection

    from config.celery import app

    var_dir = tmp_path / "worker-var"
    queue_dir, processed_dir = var_dir / "celery" / "queue", var_dir / "celery" / "processed"
    for folder in (queue_dir, processed_dir):
        folder.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PLUMBLINE_VAR_DIR": str(var_dir),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(django_settings.BASE_DIR), os.environ.get("PYTHONPATH")])
        ),
        "PYTHONUNBUFFERED": "1",
    }
    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options")}
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        from urllib.parse import urlsplit, urlunsplit

        import redis

        number = int(worker_id[2:]) + 1 if worker_id.startswith("gw") else 1
        broker_url = urlunsplit(urlsplit(redis_url)._replace(path=f"/{number % 16}"))
        redis.Redis.from_url(broker_url).flushdb()
        env["REDIS_URL"] = broker_url
        app.conf.broker_url = broker_url
        app.conf.broker_transport_options = {"visibility_timeout": 3600}
        broker = "redis"
    else:
        env.pop("REDIS_URL", None)
        app.conf.broker_url = "filesystem://"
        app.conf.broker_transport_options = {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "processed_folder": str(processed_dir),
            "store_processed": False,
        }
        broker = "filesystem"
    reset_celery_pools(app)
    workers = CeleryWorkers(env, tmp_path, broker)
    yield workers
    workers.stop_all()
    for key, value in saved.items():
        app.conf[key] = value
    reset_celery_pools(app)
