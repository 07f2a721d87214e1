"""Settings refuse what would be unsafe in production instead of running with it."""

import os
import subprocess
import sys

from django.conf import settings


def _start(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_a_secret_key_and_debug_off_it_refuses_to_start_and_says_what_to_set():
    started = _start()
    assert started.returncode != 0
    assert "SECRET_KEY is not set and DEBUG is off. Set SECRET_KEY" in started.stderr


def test_a_local_debug_run_or_a_set_key_starts():
    assert _start(DEBUG="true").returncode == 0
    assert _start(SECRET_KEY="a-long-random-value-from-the-environment").returncode == 0
