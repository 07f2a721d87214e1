"""The Content-Security-Policy allows scripts only from our own static files, and no template needs more."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.django_db
def test_every_page_carries_a_strict_policy(login, auditor):
    policy = login(auditor).get(reverse("home"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["default-src"] == "'self'"


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text()
        offenders += [f"{path}: {m.group(0)[:60]}" for m in INLINE_SCRIPT.finditer(text)]
        offenders += [f"{path}: {m.group(0)[:60]}" for m in INLINE_HANDLER.finditer(text)]
    assert offenders == []


@pytest.mark.django_db
def test_the_api_docs_load_their_start_up_script_as_a_file(client):
    html = client.get(reverse("api-docs")).content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert "?format=javascript" in html or ".js" in html
