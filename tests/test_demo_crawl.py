"""Every page a demo user can reach by following links answers without a server error, and its
``aria-describedby`` references (help texts, errors) name elements that exist on the page.

Seeds the demo (what `make run` shows), logs in as each role and follows every same-site link from the home page,
one URL per shape (``/models/12/`` and ``/models/13/`` count once), so a page that breaks on real data is caught
even when no test was written for it.
"""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from governance.models import ComplianceRecord, Incident, Risk

# Links that change state, leave the app or stream large files are not followed.
SKIPPED_PREFIXES = ("/admin/", "/accounts/logout", "/static/", "/media/", "/api/")
MAX_PAGES_PER_ROLE = 250


class _PageParser(HTMLParser):
    """Collects a page's links, element ids and the ids its ``aria-describedby`` attributes refer to."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.described_by: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        self.described_by.update((attributes.get("aria-describedby") or "").split())


def _shape(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def _crawl(client, dangling: dict[str, set[str]]) -> dict[str, int]:
    seen_shapes: set[str] = set()
    statuses: dict[str, int] = {}
    queue = deque(["/"])
    while queue and len(statuses) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        parts = urlsplit(url)
        shape = _shape(parts.path) + (
            "?" + "&".join(sorted(k.split("=")[0] for k in parts.query.split("&"))) if parts.query else ""
        )
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = _PageParser()
        parser.feed(response.content.decode())
        if parser.described_by - parser.ids:
            dangling[url] = parser.described_by - parser.ids
        for href in parser.links:
            absolute = urljoin(url, href)
            target = urlsplit(absolute)
            if target.netloc not in ("", "testserver") or target.scheme not in ("", "http"):
                continue
            if target.path.startswith(SKIPPED_PREFIXES):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return statuses


@pytest.mark.django_db
def test_every_linked_page_of_the_demo_answers_without_a_server_error(client):
    call_command("seed_demo", verbosity=0)
    # The demo shows every record type the pages are about.
    assert Risk.objects.exists() and Incident.objects.exists() and ComplianceRecord.objects.exists()

    failures: dict[str, dict[str, int]] = {}
    dangling: dict[str, set[str]] = {}
    visited = 0
    for username in ("admin", "cio", "assessor", "owner", "risk", "auditor"):
        client.force_login(get_user_model().objects.get(username=username))
        statuses = _crawl(client, dangling)
        visited += len(statuses)
        errors = {url: status for url, status in statuses.items() if status >= 500}
        if errors:
            failures[username] = errors
    assert not failures, failures
    assert not dangling, {
        url: sorted(ids)[:3] for url, ids in dangling.items()
    }  # a screen reader announces nothing
    # The crawl really walked the app (risks, compliance, incidents, reports, maturity pages), not one page.
    assert visited > 150
