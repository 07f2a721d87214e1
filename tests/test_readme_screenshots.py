"""`manage.py readme_screenshots` (make screenshots) photographs the demo's main pages as the README shows them.

It serves the app with gunicorn on this test's database, so the demo has to be committed (a transactional test on a
database file or PostgreSQL, never SQLite's in-memory test database, which another process cannot open).
"""

import io
import os
import re
import threading
from pathlib import Path

import pytest
from django.conf import global_settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = {
    "home.png",
    "results.png",
    "inventory.png",
    "model.png",
    "risk-heatmap.png",
    "compliance-matrix.png",
    "audit-integrity.png",
}


@pytest.fixture
def served_demo(transactional_db, settings, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"No Chromium at {CHROMIUM}: install Debian's chromium (apt-get install -y chromium).")
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("The test database is in memory (an sqlite DATABASE_URL): gunicorn could not open it.")
    # The server signs in with the hashers it is configured with, not the suite's fast MD5 one.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))
    call_command("seed_demo", stdout=io.StringIO())


def _in_a_thread(*args, **kwargs) -> None:
    """call_command in a thread of its own: the command drives Playwright's sync API, which refuses to start in a
    thread where another test's browser left an event loop running (pytest-playwright's, in this worker)."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            call_command(*args, **kwargs)
        except BaseException as error:  # handed to the test's thread
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


@pytest.mark.browser
def test_screenshots_of_every_readme_page_at_the_requested_size(served_demo, tmp_path):
    out = io.StringIO()

    _in_a_thread("readme_screenshots", output=str(tmp_path), width=1200, height=800, stdout=out)

    assert {path.name for path in tmp_path.iterdir()} == SCREENSHOTS
    for name in SCREENSHOTS:
        with Image.open(tmp_path / name) as image:
            image.load()  # decodes the whole PNG, not just its header
            assert image.format == "PNG" and image.size == (1200, 800), name
    # Seven different pages, not one page (a login form, say) seven times.
    assert len({(tmp_path / name).read_bytes() for name in SCREENSHOTS}) == len(SCREENSHOTS)
    printed = out.getvalue()
    assert all(str(tmp_path / name) in printed for name in SCREENSHOTS)
    assert "/maturity/assessments/" in printed and "/results/" in printed
    assert "/accounts/login/" not in printed

    # A demo user who cannot sign in stops the run: no screenshot of the login page instead of home.
    cio = get_user_model().objects.get(username="cio")
    cio.set_password("changed-after-the-demo-was-seeded")
    cio.save()
    (tmp_path / "home.png").unlink()
    with pytest.raises(CommandError, match="Could not sign in as cio"):
        _in_a_thread("readme_screenshots", output=str(tmp_path), stdout=io.StringIO())
    assert not (tmp_path / "home.png").exists()


@pytest.mark.django_db
def test_without_the_demo_it_says_to_seed_it_first(tmp_path):
    with pytest.raises(CommandError, match=re.escape("run `python manage.py seed_demo` first")):
        call_command("readme_screenshots", output=str(tmp_path))
