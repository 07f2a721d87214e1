"""The extension points: a report kind, a home panel or a navigation entry is one registration in the app that
owns it, and the rest of Plumbline picks it up; the vocabularies the code relies on are checked."""

import io
import re

import pytest
from django.core import checks
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pypdf import PdfReader

from governance.core.audit import record_event
from governance.core.jobs import enqueue
from governance.core.registry import (
    EXECUTIVE_HOME,
    HomePanel,
    NavEntry,
    NavGroup,
    Registry,
    ReportKindSpec,
    home_panels,
    nav_entries,
    report_kinds,
)
from governance.core.roles import PERMISSIONS, Permission, Role, permission_table_problems, role_allows
from governance.core.tenancy import require
from governance.models import AuditEvent, Report
from governance.reports import services
from governance.reports.render import SubjectError

pytestmark = pytest.mark.django_db

BOARD_PACK = "board_pack"


def _board_pack_context(report: Report) -> dict:
    if report.organisation.name == "Gone":
        raise SubjectError("The board has been dissolved.")
    return {
        "scope": f"The board of {report.organisation.name}",
        "sections": [("summary", "Summary")],
        "models": report.organisation.ai_models.count(),
    }


@pytest.fixture
def board_pack(settings, tmp_path):
    """A report kind that exists only in this test: one spec and one template, nothing else."""
    (tmp_path / "board").mkdir()
    (tmp_path / "board" / "pack.html").write_text(
        '{% extends "governance/pdf/base.html" %}{% block body %}'
        '<section id="summary"><h2>Summary</h2><p>Models in the inventory: {{ models }}.</p></section>'
        "{% endblock %}"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(tmp_path)]}]
    spec = ReportKindSpec(
        key=BOARD_PACK,
        label="Board pack",
        template="board/pack.html",
        build_context=_board_pack_context,
        title="Board pack",
        order=5,
        roles=frozenset({Role.ADMIN, Role.EXECUTIVE}),
    )
    report_kinds.register(spec)
    yield spec
    report_kinds.unregister(BOARD_PACK)


def test_a_registered_kind_is_offered_requested_rendered_and_verified(
    board_pack, organisation, executive, login, api_client
):
    assert (BOARD_PACK, "Board pack") in services.available_kinds()
    html = login(executive).get(reverse("governance:report-list")).content.decode()
    assert f'<option value="{BOARD_PACK}">Board pack</option>' in html
    report = services.request_report(actor=executive, organisation=organisation, kind=BOARD_PACK)
    assert report.title == "Board pack" and report.get_kind_display() == "Board pack"
    rendered = services.generate_report(report.pk)
    assert rendered.status == "succeeded" and rendered.page_count >= 2
    with rendered.file.open("rb") as handle:
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)
    assert "Models in the inventory: 0." in text and organisation.name in text
    body = api_client(executive).get(f"/api/v1/reports/{report.pk}/verify/").json()
    assert body["match"] is True and body["report"]["kind"] == BOARD_PACK


def test_a_kind_can_narrow_who_may_request_it(board_pack, organisation, auditor, login):
    assert BOARD_PACK not in dict(services.available_kinds(auditor, organisation))
    with pytest.raises(PermissionDenied, match="board pack"):
        services.request_report(actor=auditor, organisation=organisation, kind=BOARD_PACK)
    response = login(auditor).post(reverse("governance:report-list"), {"kind": BOARD_PACK})
    assert response.status_code == 400 and not Report.objects.exists()


def test_a_kind_whose_subject_is_gone_fails_with_its_reason(board_pack, organisation, executive):
    organisation.name = "Gone"
    organisation.save()
    report = services.request_report(actor=executive, organisation=organisation, kind=BOARD_PACK)
    failed = services.generate_report(report.pk)
    assert failed.status == "failed" and failed.error == "The board has been dissolved."


def test_a_kind_no_app_registered_is_a_field_error_naming_the_known_ones(organisation, executive):
    with pytest.raises(ValidationError) as exc:
        services.request_report(actor=executive, organisation=organisation, kind=BOARD_PACK)
    assert "model_inventory" in exc.value.message_dict["kind"][0]


def test_each_app_registers_its_own_kinds_panels_and_navigation():
    assert report_kinds.keys() == [
        "assessment",
        "organisation_maturity",
        "model_inventory",
        "model_dossier",
        "model_card",
        "technical_documentation",
        "compliance",
        "statement_of_applicability",
    ]
    assert report_kinds["assessment"].template.startswith("maturity/pdf/")
    assert report_kinds["model_dossier"].template.startswith("governance/pdf/")
    assert (
        "release" in home_panels and "maturity" in home_panels
    )  # governance's release gates, maturity's panel
    # Maturity's entries come from its own AppConfig, in the sidebar's Maturity section; governance's follow.
    assert [(entry.label, entry.group) for entry in nav_entries][:3] == [
        ("Maturity", NavGroup.MATURITY),
        ("Assessments", NavGroup.MATURITY),
        ("Compare units", NavGroup.MATURITY),
    ]
    assert nav_entries["governance:model-list"].group == NavGroup.INVENTORY


def test_a_registry_refuses_a_key_twice():
    registry = Registry("widget")
    registry.register(NavEntry("One", "home", "First.", 2), NavEntry("Two", "healthz", "Second.", 1))
    assert [entry.label for entry in registry] == ["Two", "One"]
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(NavEntry("Again", "home", "Same key.", 3))
    with pytest.raises(KeyError, match="No widget 'nowhere'"):
        registry["nowhere"]


@pytest.fixture
def risk_appetite_panel():
    panel = HomePanel(
        key="appetite",
        template="governance/_tier.html",
        homes={EXECUTIVE_HOME: 25},
        build=lambda home: None if home.organisation.name == "Quiet" else {"label": "x"},
    )
    home_panels.register(panel)
    yield panel
    home_panels.unregister(panel.key)


def test_home_shows_each_registered_panel_that_has_something_to_say(
    risk_appetite_panel, organisation, executive, login
):
    panels = login(executive).get(reverse("home")).context["panels"]
    assert [p.key for p in panels][:3] == ["maturity", "inventory", "appetite"]  # placed by its order
    organisation.name = "Quiet"
    organisation.save()
    panels = login(executive).get(reverse("home")).context["panels"]
    assert "appetite" not in [p.key for p in panels]


def test_every_permission_has_its_row_and_a_typo_fails_loudly(organisation, outsider):
    assert permission_table_problems() == []
    assert set(PERMISSIONS) == set(Permission)
    assert role_allows(Role.ADMIN, Permission.REPORT_SCHEDULE) and not role_allows(
        Role.AUDITOR, "report.schedule"
    )
    with pytest.raises(ValueError):
        role_allows(Role.ADMIN, "report.shedule")
    with pytest.raises(ValueError):  # not a 404: the name is checked before the membership
        require(outsider, organisation, "model.edt")


def test_the_start_up_checks_pass():
    assert [m for m in checks.run_checks() if m.id and m.id.startswith("governance.")] == []


def test_an_undeclared_audit_action_is_refused(organisation, executive):
    with pytest.raises(ValueError, match=re.escape("Unknown audit action 'model.renamed'")):
        record_event(organisation=organisation, actor=executive, action="model.renamed", obj=organisation)
    assert not AuditEvent.objects.exists()


def test_a_task_name_no_app_defines_is_refused():
    with pytest.raises(LookupError, match=re.escape("governance.tasks.render_reprot")):
        enqueue("governance.tasks.render_reprot", report_id=1)
