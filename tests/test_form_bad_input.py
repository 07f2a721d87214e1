"""No HTML form of the demo ends in a server error, whatever is typed into it.

Seeds the demo, crawls it as test_demo_crawl does (one URL per shape) and collects every ``<form method="post">``
with its fields, one form per view. Each form then receives a fixed battery of malformed submissions: every
field empty, each field 100 000 characters long or holding a NUL byte, values outside the select's choices,
non-numeric, huge and negative numbers, impossible and extreme dates, ids of records that do not exist or belong
to another organisation, garbage uploads. The product's rule: bad input gets a clear message (a form error on a
re-render, or a redirect with a message) and keeps what the user typed; another organisation's record answers 404;
nothing answers 500. Re-renders answer 400, except the model form, the CSV import and the new assessment form,
which have always answered 200 (their page tests say so); the battery asks both for an error on the page.
Run it on PostgreSQL too: NUL bytes and integers wider than a column fail only there (and wide ids only on SQLite).

Not posted: the log-out form (it would end the session mid-battery). The organisation switcher is not rendered
for a one-organisation member, so it is posted as the base template renders it. Forms that delete records or
move them along a workflow are posted last.
"""

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from governance.core.roles import Role
from governance.models import (
    AIModel,
    ApprovalRequest,
    AuditEvent,
    BusinessUnit,
    Incident,
    ReportSchedule,
    Risk,
)
from maturity.models import Assessment, AssessmentStatus, Questionnaire, ReassessmentSchedule
from tests.factories import BusinessUnitFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.governance.inventory_factories import AIModelFactory, ModelVersionFactory
from tests.governance.reminder_factories import ApprovalRequestFactory, KPIFactory, RiskFactory
from tests.test_demo_crawl import SKIPPED_PREFIXES, _PageParser, _shape

LONG_TEXT = "x" * 100_000
NUL_TEXT = "before\x00after"
HUGE = str(10**30)
# Per input type, the malformed values posted one field at a time (the other fields keep what the page showed,
# so a value the form lets through reaches the service and the database).
NUMBER_VALUES = ("not-a-number", HUGE, "-1", "-" + HUGE, "NaN", "1e309")
DATE_VALUES = ("2026-13-45", "0001-01-01", "9999-12-31")
DATETIME_VALUES = ("2026-13-45T25:61", "0001-01-01T00:00", "9999-12-31T23:59")
URL_VALUES = ("not a url", "http://[::1")
CHOICE_VALUES = ("not-a-choice", "999999999", HUGE, "-1")
CSV_HEADER = b"name,purpose,owner,materiality,complexity,last_validated_on\r\n"
GARBAGE_FILES = (
    ("empty.csv", b""),
    ("malware.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
    ("report.pdf", b"this is not a pdf"),
    ("evidence.png", b"%PDF-1.4 a pdf named .png"),
    ("latin1.csv", CSV_HEADER + "Café,x,admin,3,3,\r\n".encode("latin-1")),
    ("nul.csv", CSV_HEADER + b"Nul\x00model,Scores\x00loans,admin,3,3,\r\n"),
    ("numbers.csv", CSV_HEADER + "Sup model,x,admin,\u00b2,99999999999999999999,9999-99-99\r\n".encode()),
    ("huge-field.csv", CSV_HEADER + b"Long model," + b"y" * 200_000 + b",admin,3,3,\r\n"),
    ("a" * 300 + ".txt", b"a file name longer than any column"),
)
# Views that delete or move a record along its workflow: posted after every other form.
LAST_VIEWS = (
    "governance:model-stage-change",
    "governance:model-promote",
    "governance:approval-decide",
    "governance:report-schedule-run",
    "maturity:schedule-run",
    "maturity:submit",
    "maturity:approve",
    "maturity:return",
    "governance:kpi-delete",
    "governance:risk-delete",
    "governance:incident-delete",
    "governance:report-schedule-delete",
)
# Every form view of the demo the battery must reach (a crawl that silently lost one would prove nothing).
EXPECTED_VIEWS = {
    "switch-organisation",
    "api-token-create",
    "two-factor-setup",
    "governance:model-import",
    "governance:model-create",
    "governance:model-edit",
    "governance:model-stage-change",
    "governance:model-promote",
    "governance:approval-decide",
    "governance:report-list",
    "governance:report-verify",
    "governance:report-schedule-create",
    "governance:report-schedule-edit",
    "governance:report-schedule-delete",
    "governance:report-schedule-run",
    "governance:kpi-measure",
    "governance:kpi-create",
    "governance:kpi-edit",
    "governance:kpi-delete",
    "governance:risk-create",
    "governance:risk-edit",
    "governance:risk-delete",
    "governance:incident-create",
    "governance:incident-edit",
    "governance:incident-delete",
    "governance:compliance-record-edit",
    "maturity:assessment-list",
    "maturity:answer-factor",
    "maturity:submit",
    "maturity:approve",
    "maturity:return",
    "maturity:assessment-targets",
    "maturity:targets",
    "maturity:schedule-list",
    "maturity:schedule-run",
}
NOT_POSTED = ("logout",)


@dataclass
class Field:
    name: str
    kind: str  # the input type, or "select" / "textarea" / "button"
    value: str = ""
    options: list[str] = field(default_factory=list)
    multiple: bool = False
    checked: bool = False


@dataclass
class Form:
    page: str
    action: str
    view_name: str
    kwargs: dict
    fields: list[Field] = field(default_factory=list)

    def baseline(self) -> dict[str, list[str]]:
        """What a browser would send for the form as rendered (the first button, as if clicked)."""
        data: dict[str, list[str]] = {}
        buttons = set()
        for f in self.fields:
            if f.kind in ("submit", "button"):
                if f.name not in buttons:
                    buttons.add(f.name)
                    data[f.name] = [f.value]
            elif f.kind in ("checkbox", "radio"):
                if f.checked:
                    data.setdefault(f.name, []).append(f.value or "on")
            elif f.kind == "select":
                data[f.name] = [o for o in f.options if o in f.value.split("\n")] or (
                    [] if f.multiple else f.options[:1]
                )
            elif f.kind != "file":
                data[f.name] = [f.value]
        return data


class _FormParser(HTMLParser):
    """Collects a page's POST forms with their named fields, current values and choices."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: Field | None = None
        self._option: str | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {**a, "fields": []}
            return
        if self._form is None:
            return
        if tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a:
                self._select.value += value + "\n"
            return
        if not a.get("name"):
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            self._form["fields"].append(Field(a["name"], kind, a.get("value", ""), checked="checked" in a))
        elif tag == "button":
            self._form["fields"].append(Field(a["name"], "button", a.get("value", "")))
        elif tag == "select":
            self._select = Field(a["name"], "select", multiple="multiple" in a)
            self._form["fields"].append(self._select)
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea")
            self._form["fields"].append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the newline right after <textarea>.
            self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None


class _AlertParser(HTMLParser):
    """The text of the page's error messages (``role="alert"``, ``.error``, ``.errors``, ``.errorlist``)."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if self._depth or a.get("role") == "alert" or {"error", "errors", "errorlist"} & set(classes):
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.text += data


def _error_text(html: str) -> str:
    parser = _AlertParser()
    parser.feed(html)
    return parser.text.strip()


def _collect_forms(client, start: list[str], follow_links: bool = True) -> dict[str, Form]:
    """One form per view, from the pages reachable from ``start`` (one URL per shape)."""
    forms: dict[str, Form] = {}
    seen: set[str] = set()
    queue = deque(start)
    while queue:
        url = queue.popleft()
        parts = urlsplit(url)
        shape = _shape(parts.path) + "?" + "&".join(sorted(k.split("=")[0] for k in parts.query.split("&")))
        shape = shape if follow_links else url  # pages chosen one by one are all visited
        if shape in seen:
            continue
        seen.add(shape)
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        form_parser = _FormParser()
        form_parser.feed(html)
        for raw in form_parser.forms:
            if raw.get("method", "get").lower() != "post":
                continue
            action = urlsplit(urljoin(url, raw.get("action") or url)).path
            try:
                match = resolve(action)
            except Resolver404:
                continue
            forms.setdefault(
                match.view_name,
                Form(
                    page=url,
                    action=action,
                    view_name=match.view_name,
                    kwargs=match.kwargs,
                    fields=raw["fields"],
                ),
            )
        if not follow_links:
            continue
        links = _PageParser()
        links.feed(html)
        for href in links.links:
            target = urlsplit(urljoin(url, href))
            if target.netloc not in ("", "testserver") or target.path.startswith(SKIPPED_PREFIXES):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return forms


@dataclass
class Foreign:
    """Records of another organisation, by kind, for ids posted in fields and URLs."""

    ids: dict[str, int]

    # Which record a select names, by field name; anything else gets the other organisation's model.
    FIELD_KINDS = {
        "owner": "user",
        "developers": "user",
        "business_unit": "business_unit",
        "subject": "model",
        "assessment": "assessment",
        "version": "version",
        "organisation": "organisation",
    }
    # Which record a view's ``pk`` is.
    VIEW_KINDS = {
        "governance:model-edit": "model",
        "governance:model-stage-change": "model",
        "governance:model-promote": "model",
        "governance:kpi-create": "model",
        "governance:risk-create": "model",
        "governance:incident-create": "model",
        "governance:compliance-record-edit": "model",
        "governance:kpi-measure": "kpi",
        "governance:kpi-edit": "kpi",
        "governance:kpi-delete": "kpi",
        "governance:risk-edit": "risk",
        "governance:risk-delete": "risk",
        "governance:incident-edit": "incident",
        "governance:incident-delete": "incident",
        "governance:approval-decide": "approval",
        "governance:report-schedule-edit": "report_schedule",
        "governance:report-schedule-delete": "report_schedule",
        "governance:report-schedule-run": "report_schedule",
        "maturity:answer-factor": "assessment",
        "maturity:submit": "assessment",
        "maturity:approve": "assessment",
        "maturity:return": "assessment",
        "maturity:assessment-targets": "assessment",
        "maturity:schedule-run": "reassessment_schedule",
    }

    def for_field(self, name: str) -> str:
        return str(self.ids[self.FIELD_KINDS.get(name.rsplit("-", 1)[-1], "model")])


def _other_organisation() -> Foreign:
    """Another organisation with a record of every kind a form or URL can name."""
    organisation = OrganisationFactory(name="Other Corp")
    user = UserFactory(username="other-admin")
    MembershipFactory(user=user, organisation=organisation, role=Role.ADMIN)
    unit = BusinessUnitFactory(organisation=organisation)
    model = AIModelFactory(organisation=organisation, owner=user, business_unit=unit)
    version = ModelVersionFactory(model=model)
    now = timezone.now()
    incident = Incident.objects.create(
        organisation=organisation,
        model=model,
        title="Other incident",
        severity="low",
        occurred_at=now,
        detected_at=now,
        description="Not yours.",
        reported_by=user,
    )
    assessment = Assessment.objects.create(
        organisation=organisation,
        questionnaire=Questionnaire.objects.get(is_current=True),
        title="Other assessment",
        status=AssessmentStatus.DRAFT,
        created_by=user,
    )
    ids = {
        "organisation": organisation.pk,
        "user": user.pk,
        "business_unit": unit.pk,
        "model": model.pk,
        "version": version.pk,
        "risk": RiskFactory(model=model, owner=user).pk,
        "incident": incident.pk,
        "kpi": KPIFactory(model=model).pk,
        "approval": ApprovalRequestFactory(model=model).pk,
        "report_schedule": ReportSchedule.objects.create(
            organisation=organisation, kind="model_inventory", recipients=["x@example.com"], created_by=user
        ).pk,
        "assessment": assessment.pk,
        "reassessment_schedule": ReassessmentSchedule.objects.create(
            organisation=organisation, created_by=user
        ).pk,
    }
    return Foreign(ids)


def _switcher_form() -> Form:
    # The base template renders it only for members of several organisations; its fields as rendered there.
    return Form(
        page="/",
        action=reverse("switch-organisation"),
        view_name="switch-organisation",
        kwargs={},
        fields=[Field("organisation", "select", options=[]), Field("next", "hidden", "/")],
    )


def _malformed(form: Form, foreign: Foreign) -> Iterator[tuple[str, dict, bool]]:
    """(label, data, whether a re-render must keep the typed text) for the form's battery."""
    baseline = form.baseline()
    yield "every field empty", dict.fromkeys(baseline, ""), False
    families: set[tuple[str, str]] = set()
    for f in form.fields:
        # Forms repeated per question or scope (``<prefix>-level``) are fuzzed through their first instance,
        # a radio group or a set of buttons sharing a name through one of them.
        family = (f.kind, f.name.rsplit("-", 1)[-1] if "-" in f.name else f.name)
        if f.name == "csrfmiddlewaretoken" or family in families:
            continue
        families.add(family)
        if f.kind == "file":
            for filename, content in GARBAGE_FILES:
                upload = SimpleUploadedFile(filename, content, content_type="application/octet-stream")
                yield f"{f.name}={filename}", {**baseline, f.name: upload}, False
            continue
        keeps_text = f.kind in ("text", "textarea", "email", "url", "search")
        yield f"{f.name}=100k chars", {**baseline, f.name: LONG_TEXT}, keeps_text
        yield f"{f.name}=NUL", {**baseline, f.name: NUL_TEXT}, False
        values: tuple[str, ...] = ()
        if f.kind == "number":
            values = NUMBER_VALUES
        elif f.kind == "date":
            values = DATE_VALUES
        elif f.kind == "datetime-local":
            values = DATETIME_VALUES
        elif f.kind == "url":
            values = URL_VALUES
        elif f.kind in ("select", "radio", "hidden", "submit", "button"):
            values = (*CHOICE_VALUES, foreign.for_field(f.name))
        elif f.kind == "checkbox":
            values = ("maybe",)
        for value in values:
            data = {**baseline, f.name: [value, value] if f.multiple else value}
            yield f"{f.name}={value[:20]!r}", data, False


class _ServerError(Exception):
    def __init__(self, response):
        self.response = response


def _post(client, url: str, data: dict):
    """POST in a savepoint, so a database error (PostgreSQL aborts the transaction) fails one request only."""
    try:
        with transaction.atomic():
            response = client.post(url, data)
            if response.status_code >= 500:
                raise _ServerError(response)
    except _ServerError as error:
        response = error.response
    return response


def _describe(response) -> str:
    if response.exc_info:
        return f"{response.status_code} {response.exc_info[0].__name__}: {str(response.exc_info[1])[:200]}"
    return str(response.status_code)


def _ordered(forms: dict[str, Form]) -> list[Form]:
    return sorted(
        forms.values(),
        key=lambda f: (LAST_VIEWS.index(f.view_name) if f.view_name in LAST_VIEWS else -1, f.view_name),
    )


def _other_url(form: Form, pk: int) -> str:
    return reverse(form.view_name, kwargs={**form.kwargs, "pk": pk})


def _demo_forms(client) -> dict[str, Form]:
    """The forms of the pages reachable from the home page, and of pages whose forms only some records have
    (the crawl sees one record per shape): a model with a candidate version, a draft assessment and the one the
    demo has waiting for approval."""
    promotable = AIModel.objects.filter(versions__status="candidate", organisation__name="Acme Bank").first()
    submitted = Assessment.objects.get(status=AssessmentStatus.SUBMITTED)
    draft = Assessment.objects.filter(status=AssessmentStatus.DRAFT, organisation__name="Acme Bank").first()
    extra = [
        reverse("governance:model-detail", args=[promotable.pk]),
        reverse("maturity:assessment-detail", args=[submitted.pk]),
        reverse("maturity:assessment-detail", args=[draft.pk]),
        reverse("maturity:answer-factor", args=[draft.pk, "strategy"]),
        reverse("maturity:assessment-targets", args=[draft.pk]),
    ]
    return _collect_forms(client, extra, follow_links=False) | _collect_forms(client, ["/"])


@pytest.fixture
def demo(db) -> Foreign:
    call_command("seed_demo", verbosity=0)
    return _other_organisation()


def _battery(client, forms: dict[str, Form], foreign: Foreign) -> tuple[list, list, list, int]:
    server_errors, silent_400s, lost_input = [], [], []
    posts = 0
    for form in _ordered(forms):
        for label, data, keeps_text in _malformed(form, foreign):
            response = _post(client, form.action, data)
            posts += 1
            where = f"{form.view_name} [{label}]"
            if response.status_code >= 500:
                server_errors.append(f"{where}: {_describe(response)}")
            elif response.status_code in (200, 400):  # the form again, or a page about what was posted
                html = response.content.decode()
                if not _error_text(html):
                    silent_400s.append(where)
                if keeps_text and LONG_TEXT not in html:
                    lost_input.append(where)
    return server_errors, silent_400s, lost_input, posts


@pytest.mark.django_db
def test_no_form_of_the_demo_answers_malformed_input_with_a_server_error(client, demo):
    admin = get_user_model().objects.get(username="admin")
    risk = get_user_model().objects.get(username="risk")
    client.force_login(admin)
    client.raise_request_exception = False
    forms = _demo_forms(client)
    # Decisions on model approvals are the risk officer's (the administrator may not approve models).
    client.force_login(risk)
    pending = ApprovalRequest.objects.filter(status="pending", organisation__name="Acme Bank").first()
    forms = _collect_forms(client, ["/approvals/", f"/approvals/{pending.pk}/"], follow_links=False) | forms
    forms["switch-organisation"] = _switcher_form()
    for name in NOT_POSTED:
        forms.pop(name, None)
    assert set(forms) >= EXPECTED_VIEWS, sorted(EXPECTED_VIEWS - set(forms))

    # Another organisation's record in the URL answers 404, as does a record that does not exist.
    wrong_records = []
    for form in _ordered(forms):
        kind = Foreign.VIEW_KINDS.get(form.view_name)
        if kind is None:
            continue
        client.force_login(risk if form.view_name == "governance:approval-decide" else admin)
        for pk in (demo.ids[kind], 999_999_999):
            response = _post(client, _other_url(form, pk), form.baseline())
            if response.status_code != 404:
                wrong_records.append(f"{form.view_name} pk={pk}: {_describe(response)}")
    assert not wrong_records, wrong_records

    server_errors, silent_400s, lost_input, posts = [], [], [], 0
    for user, view_names in (
        (risk, {"governance:approval-decide"}),
        (admin, set(forms) - {"governance:approval-decide"}),
    ):
        client.force_login(user)
        errors, silent, lost, count = _battery(
            client, {k: v for k, v in forms.items() if k in view_names}, demo
        )
        server_errors += errors
        silent_400s += silent
        lost_input += lost
        posts += count

    assert not server_errors, "\n".join(server_errors)
    assert not silent_400s, silent_400s  # a 400 says what is wrong
    assert not lost_input, lost_input  # and keeps what was typed
    assert posts > 500  # the battery really ran: every field of every form, not one post per form

    # What the battery managed to save (extreme dates, 100 000-character texts) breaks no page.
    client.force_login(admin)
    _collect_forms(client, ["/"])

    # Nothing typed into the demo's forms reached the other organisation's records or linked them.
    acme_models = AIModel.objects.filter(organisation__name="Acme Bank")
    assert not acme_models.filter(business_unit_id=demo.ids["business_unit"]).exists()
    assert not acme_models.filter(owner_id=demo.ids["user"]).exists()
    assert not Risk.objects.filter(organisation__name="Acme Bank", owner_id=demo.ids["user"]).exists()
    acme_schedules = ReportSchedule.objects.filter(organisation__name="Acme Bank")
    assert not acme_schedules.filter(kind="model_dossier", subject_id=demo.ids["model"]).exists()
    assert not acme_schedules.filter(kind="assessment", subject_id=demo.ids["assessment"]).exists()
    assert Incident.objects.filter(pk=demo.ids["incident"]).exists()
    assert ApprovalRequest.objects.filter(pk=demo.ids["approval"], status="pending").exists()
    assert BusinessUnit.objects.filter(pk=demo.ids["business_unit"]).exists()


# Forms meant for visitors without an account (an outside auditor checking a PDF): they answer, not refuse.
PUBLIC_FORMS = {"public-verify"}


@pytest.mark.django_db
def test_a_read_only_role_and_a_visitor_get_no_server_error_and_change_nothing(client, demo):
    """The auditor's own forms get the whole battery; the administrator's forms, posted by the auditor and by
    a visitor who is not logged in, are refused (403/404, or the login page) and change nothing."""
    client.raise_request_exception = False
    client.force_login(get_user_model().objects.get(username="admin"))
    admin_forms = _demo_forms(client)
    admin_forms.pop("logout")
    client.force_login(get_user_model().objects.get(username="auditor"))
    auditor_forms = _collect_forms(client, ["/"])
    auditor_forms.pop("logout")
    assert {"governance:report-list", "governance:report-verify"} <= set(auditor_forms)

    server_errors, silent_400s, lost_input, posts = _battery(client, auditor_forms, demo)
    assert not server_errors, server_errors
    assert not silent_400s, silent_400s
    assert not lost_input, lost_input
    assert posts > 50

    events = AuditEvent.objects.count()
    refused = []
    for form in _ordered({k: v for k, v in admin_forms.items() if k not in auditor_forms}):
        for label, data in (("as rendered", form.baseline()), ("empty", {})):
            response = _post(client, form.action, data)
            if response.status_code not in (403, 404):
                refused.append(f"{form.view_name} [{label}]: {_describe(response)}")
    client.logout()
    for form in _ordered(admin_forms):
        if form.view_name in PUBLIC_FORMS:
            continue
        response = _post(client, form.action, form.baseline())
        if not (response.status_code == 302 and response["Location"].startswith(reverse("login"))):
            refused.append(f"{form.view_name} [anonymous]: {_describe(response)}")
    assert not refused, refused
    assert AuditEvent.objects.count() == events


# --- Regressions: the server errors the battery found ------------------------------------------------------


def test_an_id_wider_than_any_key_is_an_invalid_choice_not_a_server_error(login, admin_user_member):
    # SQLite refused the IN query Django runs for a multiple choice (OverflowError).
    response = login(admin_user_member).post(reverse("governance:model-create"), {"developers": HUGE})
    assert response.status_code < 500
    assert "Select a valid choice" in _error_text(response.content.decode())


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        # PostgreSQL refused the row; int("²") raised ValueError; the csv module raised csv.Error.
        (CSV_HEADER + b"Nul\x00model,x,org-admin,3,3,\r\n", "NUL characters"),
        (CSV_HEADER + "Sup,x,org-admin,\u00b2,3,\r\n".encode(), "Use a whole number from 1 to 5"),
        (CSV_HEADER + b"Long," + b"y" * 200_000 + b",org-admin,3,3,\r\n", "not valid CSV at line 2"),
    ],
    ids=["nul", "superscript-digit", "field-over-csv-limit"],
)
def test_a_bad_csv_import_lists_its_problem_and_imports_nothing(login, admin_user_member, content, problem):
    client = login(admin_user_member)
    response = client.post(reverse("governance:model-import"), {"file": SimpleUploadedFile("m.csv", content)})
    assert response.status_code < 500
    assert problem in _error_text(response.content.decode())
    assert not AIModel.objects.exists()


def test_report_progress_ignores_ids_no_report_can_have(login, admin_user_member):
    # int("²") raised ValueError; SQLite refused an id wider than 64 bits.
    response = login(admin_user_member).get(reverse("governance:report-status"), {"id": ["\u00b2", HUGE]})
    assert response.status_code == 200
    assert response.json() == {"reports": []}
