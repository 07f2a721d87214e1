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


def test_postgresql_connections_turn_the_jit_compiler_off_unless_asked():
    script = "import django; django.setup(); from django.conf import settings as s; print(s.DATABASES['default']['OPTIONS'])"

    def options(**env: str) -> str:
        base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "PG_JIT"}}
        done = subprocess.run(
            [sys.executable, "-c", script],
            env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "k", **env},
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout

    url = "postgres://postgres@127.0.0.1:5432/plumbline"
    assert "-c jit=off" in options(DATABASE_URL=url)
    assert "-c jit=on" in options(DATABASE_URL=url, PG_JIT="on")
