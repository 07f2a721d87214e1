"""The design system (issue 16): the sidebar grouped by domain with the current page marked, one badge colour per
meaning, ISO 8601 dates, empty states that say what to do next, and a way back from the API documentation."""

import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from governance.models import AIModel

pytestmark = pytest.mark.django_db


def _sidebar(html: str) -> str:
    return html[
        html.index('<nav class="offcanvas-body') : html.index(
            "</nav>", html.index('<nav class="offcanvas-body')
        )
    ]


def test_sidebar_groups_sections_by_domain_and_marks_the_current_page(login, auditor):
    html = login(auditor).get(reverse("governance:risk-heatmap")).content.decode()
    sidebar = _sidebar(html)
    headings = ["Maturity", "Inventory", "Risk &amp; compliance", "Monitoring", "Reports", "Administration"]
    positions = [sidebar.index(f">{heading}</h2>") for heading in headings]
    assert positions == sorted(positions)
    # Exactly one entry is the current page: the risk register, inside its group.
    assert sidebar.count('aria-current="page"') == 1
    current = sidebar[: sidebar.index('aria-current="page"')]
    assert current.rindex("Risk &amp; compliance") > current.rindex("Inventory")
    assert (
        f'href="{reverse("governance:risk-heatmap")}" title='
        in sidebar[sidebar.rindex("<a", 0, sidebar.index('aria-current="page"')) :]
    )
    assert 'href="#content"' in html and "Skip to content" in html


def test_a_sub_page_marks_its_own_section_not_its_parent(login, auditor):
    sidebar = _sidebar(login(auditor).get(reverse("governance:report-schedule-list")).content.decode())
    marked = sidebar[
        sidebar.rindex("<a", 0, sidebar.index('aria-current="page"')) : sidebar.index(
            "</a>", sidebar.index('aria-current="page"')
        )
    ]
    assert "Scheduled reports" in marked


def test_statuses_and_risk_bands_keep_one_colour_each():
    rendered = Template(
        "{% load ui %}{% status_badge 'approved' 'Approved' %}{% status_badge 'compliant' %}"
        "{% status_badge 'draft' %}{% status_badge 'rejected' %}{% band_badge 'high' 'Tier 2 — high' %}"
    ).render(Context())
    assert 'status-done text-nowrap" data-status="approved">Approved<' in rendered
    assert 'status-done text-nowrap" data-status="compliant">Compliant<' in rendered
    assert 'status-neutral text-nowrap" data-status="draft">Draft<' in rendered
    assert 'status-failed text-nowrap" data-status="rejected">Rejected<' in rendered
    assert 'band band-high text-nowrap">Tier 2 — high<' in rendered


def test_inventory_shows_iso_dates_band_legend_and_a_next_step_when_empty(login, model_owner, organisation):
    client = login(model_owner)
    empty = client.get(reverse("governance:model-list")).content.decode()
    assert "The inventory is empty." in empty and reverse("governance:model-create") in empty

    AIModel.objects.create(
        organisation=organisation,
        name="Scorecard",
        owner=model_owner,
        risk_tier="high",
        next_review_due=datetime.date(2026, 9, 2),
    )
    html = client.get(reverse("governance:model-list")).content.decode()
    assert "2026-09-02" in html and "2 Sep 2026" not in html
    assert "Risk bands:" in html and 'class="badge band band-high text-nowrap">Tier 2 — high<' in html
    assert '<h1 class="h3 mb-1">Model inventory</h1>' in html


def test_default_date_formats_are_iso_8601():
    moment = timezone.make_aware(datetime.datetime(2026, 9, 2, 14, 30))
    rendered = Template("{{ day|date }} {{ day }} {{ moment|date:'DATETIME_FORMAT' }}").render(
        Context({"day": datetime.date(2026, 9, 2), "moment": moment})
    )
    assert rendered == "2026-09-02 2026-09-02 2026-09-02 14:30"


@pytest.mark.parametrize("url_name", ["api-docs", "api-redoc"])
def test_api_documentation_links_back_to_the_app(client, url_name):
    html = client.get(reverse(url_name)).content.decode()
    assert f'<a href="{reverse("home")}">← Back to Plumbline</a>' in html
    assert "fonts.googleapis.com" not in html


def test_vendored_files_come_out_of_a_verified_tarball_untouched(tmp_path):
    import io
    import tarfile

    from governance.management.commands.vendor_assets import PACKAGES, extract_files, sri_sha512

    htmx = next(package for package in PACKAGES if package.folder == "htmx")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in {"dist/htmx.min.js": b"htmx", "LICENSE": b"BSD", "src/htmx.js": b"source"}.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    tarball = buffer.getvalue()
    assert sri_sha512(tarball).startswith("sha512-") and sri_sha512(tarball) != htmx.integrity

    extract_files(htmx, tarball, tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["LICENSE", "htmx.min.js"]
    assert (tmp_path / "htmx.min.js").read_bytes() == b"htmx"


def test_list_filters_say_any_rather_than_dashes_or_unknown(login, risk_officer):
    html = login(risk_officer).get(reverse("governance:model-list")).content.decode()
    assert "---------" not in html and ">Unknown<" not in html
    assert '<option value="" selected>Any</option>' in html
    assert '<option value="true">Yes</option>' in html
