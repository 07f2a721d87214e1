"""Every main page of the demo, as every role, passes axe-core with no serious or critical violation and fits a
1280-pixel-wide window without scrolling sideways.

Seeds the demo (what `make run` shows), signs in through the login form as each demo user in Debian's chromium,
opens every page of the navigation, then the record pages those link to (one URL per shape: ``/models/12/`` and
``/models/13/`` count once), and runs axe-core (the build bundled with axe-playwright-python, injected through the
DevTools protocol, so the Content-Security-Policy stays as strict as in production) with the WCAG 2.1 A and AA
rules.
"""

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from governance.management.commands.seed_demo import DEMO_PASSWORD

DEMO_USERS = ("admin", "cio", "assessor", "owner", "risk", "auditor")
WIDTH = 1280
MAX_PAGES_PER_ROLE = 18
BLOCKING_IMPACTS = ("serious", "critical")
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
}
# Links that change state, leave the app, download files or are not pages of the app's own design.
SKIPPED = re.compile(r"^/(admin|api|static|media|accounts/logout)|\.(csv|xlsx|pdf|md|zip|json)$|/download/")


def _shape(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def _links(page, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "links => links.map(link => link.getAttribute('href'))")
    paths = []
    for href in hrefs:
        parts = urlsplit(href or "")
        if parts.netloc or not parts.path.startswith("/") or SKIPPED.search(parts.path):
            continue
        paths.append(parts.path)
    return paths


def _problems(page) -> list[str]:
    problems = []
    results = Axe().run(page, options=AXE_OPTIONS).response
    for violation in results["violations"]:
        if violation["impact"] in BLOCKING_IMPACTS:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            problems.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"scrolls sideways by {overflow}px at {WIDTH}px")
    return problems


def _audit_role(browser, base_url: str, username: str) -> tuple[dict[str, list[str]], int]:
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base_url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/")
        main_pages = ["/", *_links(page, "nav a[href]")]
        queue = list(dict.fromkeys(main_pages))
        seen: set[str] = set()
        found: dict[str, list[str]] = {}
        visited = 0
        while queue and visited < MAX_PAGES_PER_ROLE:
            path = queue.pop(0)
            if _shape(path) in seen:
                continue
            seen.add(_shape(path))
            response = page.goto(base_url + path)
            if (
                response is None
                or response.status != 200
                or "text/html" not in response.headers.get("content-type", "")
            ):
                continue
            visited += 1
            problems = _problems(page)
            if problems:
                found[path] = problems
            if path in main_pages:
                # The records a main page lists: one of each kind.
                queue.extend(link for link in _links(page, "main a[href]") if re.search(r"/\d+/", link))
        return found, visited
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_main_page_passes_axe_and_fits_1280_pixels_as_every_role(live_server, browser):
    call_command("seed_demo", verbosity=0)
    failures: dict[str, dict[str, list[str]]] = {}
    visited = 0
    for username in DEMO_USERS:
        found, count = _audit_role(browser, live_server.url, username)
        visited += count
        if found:
            failures[username] = found
    if failures:
        pytest.fail(
            "\n".join(
                f"{username} {path}: {problem}"
                for username, pages in failures.items()
                for path, problems in pages.items()
                for problem in problems
            ),
            pytrace=False,
        )
    # It really walked the app: the navigation and record pages of six roles, not a login page.
    assert visited > 50
