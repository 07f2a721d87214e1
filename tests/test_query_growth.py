"""No page grows in queries as the data grows: every page an administrator reaches from the demo's home page is
requested at the demo's size and again after the inventory has grown (60 more models with versions and EU AI Act
records, a dozen risks, incidents and a year of KPI measurements on each model whose page was visited), and must
not run more queries the second time; so must the home page of each role the demo has a member of.

Pages have their own tests with bounds at two sizes; this one catches the page nobody wrote that test for.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from governance.core.roles import Role
from governance.demo.benchmark import build_compliance, build_inventory, build_model_records
from governance.models import AIModel, KPIDefinition, Membership
from tests.test_demo_crawl import _crawl

# Issue 13's bound for every page, at the demo's size and grown.
MAX_PAGE_QUERIES = 15
MODEL_PAGE = re.compile(r"^/models/(\d+)/")


def query_counts(client, urls: list[str]) -> dict[str, int]:
    counts = {}
    for url in urls:
        client.get(url)  # warm: sessions, caches and the token's first use are written once
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[url] = len(queries)
    return counts


@pytest.mark.django_db
def test_no_page_runs_more_queries_when_the_inventory_grows(client):
    call_command("seed_demo", verbosity=0)
    admin = get_user_model().objects.get(username="admin")
    client.force_login(admin)
    statuses = _crawl(client, {})
    urls = [
        url for url, status in statuses.items() if status == 200 and not url.startswith("/reports/download")
    ]
    before = query_counts(client, urls)
    organisation = Membership.objects.get(user=admin).organisation
    # Every role's home (issue 16) is a page of its own: one member of each role the demo has.
    members = {
        membership.role: membership.user
        for membership in Membership.objects.filter(organisation=organisation).select_related("user")
    }
    homes_before = role_home_counts(client, members)
    client.force_login(admin)
    officer = Membership.objects.filter(organisation=organisation, role=Role.RISK_OFFICER).first().user
    models = build_inventory(organisation, admin, 60, 3)
    build_compliance(organisation, models, officer)
    visited = {int(match.group(1)) for url in urls if (match := MODEL_PAGE.match(url))}
    # The benchmark's KPIs take names the demo's may have: the demo's keep theirs under another name.
    KPIDefinition.objects.filter(model__in=visited).update(name=Concat("name", Value(" (demo)")))
    for model in AIModel.objects.filter(pk__in=visited):
        build_model_records(organisation, model, officer)
    after = query_counts(client, urls)
    homes_after = role_home_counts(client, members)
    client.force_login(admin)

    grown = {url: (before[url], after[url]) for url in urls if after[url] > before[url]}
    assert not grown, grown
    over = {url: count for url, count in after.items() if count > MAX_PAGE_QUERIES}
    assert not over, over
    assert len(urls) > 40  # the crawl walked the app
    assert len(members) >= 4 and homes_after == homes_before, (homes_before, homes_after)
    assert max(homes_after.values()) <= MAX_PAGE_QUERIES, homes_after


def role_home_counts(client, members: dict) -> dict[str, int]:
    counts = {}
    for role, user in members.items():
        client.force_login(user)
        counts[role] = query_counts(client, ["/"])["/"]
    return counts
