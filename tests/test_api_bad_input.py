"""No API request ends in a 500: every operation of the OpenAPI schema, fed malformed input.

The operations come from the schema drf-spectacular generates, so a new endpoint is fuzzed as soon as it exists
(a writable one needs its valid body in ``valid_bodies``: the test fails until it has one). For each POST/PUT/PATCH
the test sends a valid body, then the body broken one field at a time (null, wrong types, huge and negative
numbers, NaN, 1e400, 100 000 characters, NUL characters, impossible dates, unknown fields, ids that do not exist
or belong to another organisation, bad uploads) and broken as a whole (not JSON, nested 100 000 deep, a list,
empty, all null). Each GET gets bad filter values and bad ids. Every answer must be below 500; a 400 must be a
JSON object (field-level errors) and must have changed nothing (no audit event); another organisation's record
answers 404 and is never linked to. Requests run in savepoints so one database error cannot hide the next.
Deterministic: fixed values, no random generation; run it on SQLite and on PostgreSQL (NUL characters and
out-of-range values only fail there).
"""

import json
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from governance.core.roles import Role
from governance.models import (
    AuditEvent,
    BusinessUnit,
    Deployment,
    DeploymentCheck,
    Incident,
    KPIMeasurement,
    ModelCard,
    ReportSchedule,
    Validation,
    ValidationFinding,
)
from governance.selectors.release import default_rules
from governance.services import inventory as inventory_services
from governance.services import monitoring as monitoring_services
from maturity import services as maturity_services
from maturity.models import ReassessmentSchedule
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.governance.inventory_factories import AIModelFactory, ModelVersionFactory
from tests.governance.reminder_factories import (
    ComplianceRecordFactory,
    FrameworkFactory,
    KPIFactory,
    RequirementFactory,
    RiskFactory,
)
from tests.maturity.page_fixtures import answer_all, build_questionnaire

# Operations in the schema today. A schema change that drops one fails test_schema_lists_every_operation_...
EXPECTED_OPERATIONS = 37  # POST / PUT / PATCH
EXPECTED_READ_OPERATIONS = 33  # GET paths
MISSING_ID = 999_999_999
VERSION_LABEL = "1.0.0"  # the label of the dataset's version, ours and foreign
RUN_DAY = date(2026, 11, 2)  # the day _read_id runs the schedules whose runs are read; their periods:
RUN_PERIODS = {"report-schedules": "2026-11", "reassessment-schedules": "2026-Q4"}
HUGE = 10**30


def literal(json_text: str) -> str:
    """A value written into the body as raw JSON text: numbers json.dumps cannot produce (1e400 parses to inf)."""
    return f"@@literal:{json_text}@@"


LITERAL = re.compile(r'"@@literal:([^"@]*)@@"')
OVERFLOWING_NUMBERS = [
    literal("1e400"),
    literal("-1e400"),
    literal("1" + "0" * 400),
    literal("1" + "0" * 5000),
]

# Bad values by the kind of field they are sent to; every field also gets COMMON.
COMMON: list[Any] = [None, {"nested": "object"}, ["a", "list"], HUGE, "x" * 100_000]
BY_KIND: dict[str, list[Any]] = {
    "string": ["", "nul\x00inside", 12345],
    "integer": ["abc", -1, -HUGE, 1.5, "NaN", 2**63, *OVERFLOWING_NUMBERS],
    "number": ["abc", -HUGE, "NaN", "Infinity", "1e400", *OVERFLOWING_NUMBERS],
    "decimal": ["abc", "NaN", "-Infinity", "1e400", "999999999999999999.99", -HUGE],
    "boolean": ["maybe", 2],
    "date": ["2026-13-45", "99999-01-01", "\x00"],
    "date-time": [
        "2026-13-45T25:61:00Z",
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+14:00",
        "\x00",
    ],
    "array": ["not a list", [None], [{"a": 1}], [HUGE], ["\x00"]],
    "object": ["not an object", {"k": None}, {"k": HUGE}, {"\x00": "\x00"}],
    "enum": ["not-a-choice", "\x00", 1],
    "uri": ["not a uri", "javascript:alert(1)", "\x00"],
}
# A field the schema does not type gets a bit of everything.
BY_KIND["any"] = [values[0] for values in BY_KIND.values()] + ["\x00", "NaN", -1]

MALFORMED_JSON = [
    b"{not json",
    b"",
    b"\x00",
    b'{"name": NaN}',
    b"[1, 2",
    '{"\u00e9": 1}'.encode("latin-1"),
    b"null",
    b'"a string"',
    b"42",
    b"[" * 100_000,
    b'{"a": ' * 50_000,
    b"[" * 900 + b"]" * 900,
]


# --- The schema ------------------------------------------------------------------------------------


def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def writable_operations(schema: dict) -> list[tuple[str, str]]:
    """(METHOD, path template) of every POST/PUT/PATCH operation, sorted."""
    return sorted(
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"post", "put", "patch"}
    )


def _resolve(schema: dict, node: dict | None) -> dict:
    while node and "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    if node and "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(schema, node["allOf"][0])
    if node and "oneOf" in node:
        real = [n for n in node["oneOf"] if _resolve(schema, n).get("type") != "null" and "$ref" not in n]
        return _resolve(schema, (real or node["oneOf"])[0])
    return node or {}


def _kind(schema: dict, node: dict | None) -> str:
    node = _resolve(schema, node)
    if "enum" in node:
        return "enum"
    kind, fmt = node.get("type"), node.get("format")
    if kind == "string" and fmt in {"date", "date-time", "uri", "decimal"}:
        return fmt
    if kind in {"string", "integer", "number", "boolean", "array", "object"}:
        return kind
    return "any"


def request_schema(schema: dict, method: str, path: str) -> dict:
    content = schema["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
    return _resolve(schema, (content.get("application/json") or {}).get("schema"))


def accepts_json(schema: dict, method: str, path: str) -> bool:
    content = schema["paths"][path][method.lower()].get("requestBody", {}).get("content")
    return not content or "application/json" in content


def _child_schema(schema: dict, node: dict, key: str | int) -> dict:
    node = _resolve(schema, node)
    if isinstance(key, int):
        return _resolve(schema, node.get("items"))
    properties = node.get("properties") or {}
    if key in properties:
        return properties[key]
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, dict) else {}


def field_paths(schema: dict, body_schema: dict, body: Any) -> list[tuple[tuple, str]]:
    """Every place a bad value can go: the body's leaves (also inside lists and objects), and the schema's
    writable top-level fields the body leaves out; each with the kind of value the schema expects there."""
    found: dict[tuple, str] = {}

    def walk(value: Any, node: dict, prefix: tuple) -> None:
        if prefix:
            found[prefix] = _kind(schema, node)
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, _child_schema(schema, node, key), (*prefix, key))
        elif isinstance(value, list) and value:
            walk(value[0], _child_schema(schema, node, 0), (*prefix, 0))

    walk(body, body_schema, ())
    if isinstance(body, dict):
        for name, prop in (body_schema.get("properties") or {}).items():
            if not _resolve(schema, prop).get("readOnly") and (name,) not in found:
                found[(name,)] = _kind(schema, prop)
    return sorted(found.items(), key=lambda item: tuple(str(part) for part in item[0]))


def with_value(body: Any, path: tuple, value: Any) -> Any:
    """A deep copy of ``body`` with ``value`` at ``path`` (intermediate containers created as needed)."""
    body = json.loads(json.dumps(body))
    if not path:
        return value
    target = body
    for part in path[:-1]:
        target = target[part]
    if isinstance(target, list) and path[-1] >= len(target):
        target.append(value)
    else:
        target[path[-1]] = value
    return body


# --- The data set ----------------------------------------------------------------------------------


@pytest.fixture
def dataset(organisation, other_organisation, business_unit, admin_user_member, model_owner, outsider):
    """Records of every kind in ``organisation`` (ours) and in ``other_organisation`` (foreign)."""
    risk_officer = UserFactory(username="risk-officer")
    MembershipFactory(user=risk_officer, organisation=organisation, role=Role.RISK_OFFICER)
    questionnaire = build_questionnaire()
    framework = FrameworkFactory()
    requirement = RequirementFactory(framework=framework)
    now = timezone.now()

    def records(org, admin, owner, unit) -> dict[str, Any]:
        model = AIModelFactory(organisation=org, owner=owner, business_unit=unit)
        version = ModelVersionFactory(model=model, version=VERSION_LABEL)
        ModelCard.objects.create(organisation=org, version=version, intended_use="Scores applications.")
        approval = inventory_services.request_stage_change(
            actor=admin, model=model, stage="validation", justification="Ready for validation."
        )
        kpi = KPIFactory(model=model)
        KPIMeasurement.objects.create(kpi=kpi, value=0.9, measured_at=now - timedelta(hours=1))
        validation = Validation.objects.create(
            organisation=org,
            model=model,
            version=version,
            validator=admin,
            scope=["data"],
            started_on=now.date(),
        )
        assessment = maturity_services.create_assessment(actor=admin, organisation=org, title="Q3 review")
        answer_all(assessment, level=2, user=admin)  # so that submitting it can succeed
        return {
            "organisation": org,
            "organisations": org,
            "business_unit": unit,
            "admin": admin,
            "owner": owner,
            "models": model,
            "version": version,
            "approval-requests": approval,
            "risks": RiskFactory(model=model),
            "incidents": Incident.objects.create(
                organisation=org,
                model=model,
                title="Scores drifted",
                severity="high",
                occurred_at=now - timedelta(days=2),
                detected_at=now - timedelta(days=1),
                description="The score distribution moved.",
            ),
            "kpis": kpi,
            "compliance-records": ComplianceRecordFactory(model=model, requirement=requirement),
            "report-schedules": ReportSchedule.objects.create(
                organisation=org,
                kind="model_inventory",
                frequency="monthly",
                recipients=["cro@example.com"],
                created_by=admin,
            ),
            "assessments": assessment,
            "validations": validation,
            "validation-findings": ValidationFinding.objects.create(
                validation=validation, title="Leakage", severity="high"
            ),
            "deployment-checks": DeploymentCheck.objects.create(
                organisation=org,
                model=model,
                version=version,
                environment="production",
                allowed=False,
                policy_version=0,
                asked_by=admin,
            ),
            "deployments": Deployment.objects.create(
                organisation=org, model=model, version=version, environment="test", recorded_by=admin
            ),
            "reassessment-schedules": ReassessmentSchedule.objects.create(
                organisation=org, frequency="quarterly", next_run_on=now.date(), created_by=admin
            ),
        }

    foreign_unit = BusinessUnit.objects.create(organisation=other_organisation, name="Foreign unit")
    return {
        "ours": records(organisation, admin_user_member, model_owner, business_unit),
        "foreign": records(other_organisation, outsider, outsider, foreign_unit),
        "risk_officer": risk_officer,
        "questionnaire": questionnaire,
        "requirement": requirement,
    }


def valid_bodies(data: dict) -> dict[tuple[str, str], Any]:
    """A body each operation accepts (or refuses only for a state reason): the base the bad values go into."""
    ours = data["ours"]
    model, org, unit = ours["models"], ours["organisation"], ours["business_unit"]
    today = timezone.localdate()
    now = timezone.now()
    model_body = {
        "name": "Fraud detector",
        "purpose": "Flags suspicious card payments.",
        "business_unit": unit.pk,
        "owner": ours["owner"].pk,
        "developers": [ours["admin"].pk],
        "lifecycle_stage": "development",
        "materiality": 3,
        "complexity": 2,
        "eu_ai_act_category": "limited",
        "decisions_about_people": "supports",
        "last_validated_on": today.isoformat(),
        "next_review_due": (today + timedelta(days=90)).isoformat(),
        "risk_tier_override": "high",
        "risk_tier_override_reason": "Board decision.",
    }
    risk_body = {
        "model": model.pk,
        "title": "Bias against young applicants",
        "category": "fairness",
        "likelihood": 3,
        "impact": 4,
        "residual_likelihood": 2,
        "residual_impact": 2,
        "owner": ours["owner"].pk,
        "status": "open",
        "due_date": (today + timedelta(days=30)).isoformat(),
    }
    incident_body = {
        "model": model.pk,
        "title": "Outage",
        "severity": "medium",
        "occurred_at": (now - timedelta(hours=5)).isoformat(),
        "detected_at": (now - timedelta(hours=4)).isoformat(),
        "description": "Scoring was down.",
        "financial_loss": "1200.50",
        "currency": "EUR",
        "status": "open",
    }
    kpi_body = {
        "model": model.pk,
        "name": "Precision",
        "kind": "technical",
        "unit": "%",
        "direction": "higher",
        "target": 0.9,
        "warning_threshold": 0.8,
        "critical_threshold": 0.7,
    }
    compliance_body = {
        "model": model.pk,
        "requirement": data["requirement"].pk,
        "status": "compliant",
        "evidence_link": "https://wiki.example.com/evidence",
        "notes": "Reviewed.",
        "next_review_due": (today + timedelta(days=180)).isoformat(),
    }
    schedule_body = {
        "kind": "compliance",
        "parameters": {"framework": "reminder-test-framework"},
        "frequency": "monthly",
        "recipients": ["cro@example.com"],
        "attach_pdf": True,
        "active": True,
    }
    targets = {"targets": {"strategy": 3, "governance": 4.5}}
    return {
        ("POST", "/api/v1/auth/token/"): {"username": "org-admin", "password": PASSWORD},
        ("POST", "/api/v1/models/"): model_body,
        # The stage changes only through /stage/ (and approvals), never by editing the model.
        ("PUT", "/api/v1/models/{id}/"): {k: v for k, v in model_body.items() if k != "lifecycle_stage"},
        ("PATCH", "/api/v1/models/{id}/"): {"purpose": "Scores applications.", "materiality": 4},
        ("POST", "/api/v1/models/{id}/stage/"): {"stage": "development", "justification": "Rework."},
        ("POST", "/api/v1/models/{id}/versions/"): {
            "version": "2.0.0",
            "artifact_uri": "s3://models/fraud/2.0.0",
            "code_commit": "abc123",
            "metrics": {"auc": 0.81},
            "notes": "Retrained.",
        },
        ("PUT", "/api/v1/models/{model_id}/versions/{version}/card/"): {
            "intended_use": "Scores personal-loan applications.",
            "factors": "Age band and channel.",
            "caveats_and_recommendations": "Recalibrate when PSI exceeds 0.25.",
        },
        ("PATCH", "/api/v1/models/{model_id}/versions/{version}/card/"): {"metrics": "Gini and KS."},
        ("POST", "/api/v1/approval-requests/"): {
            "model": model.pk,
            "kind": "promote_version",
            "version": ours["version"].pk,
            "requested_stage": "production",
            "justification": "Better AUC.",
        },
        ("POST", "/api/v1/approval-requests/{id}/approve/"): {"comment": "Looks right."},
        ("POST", "/api/v1/approval-requests/{id}/reject/"): {"comment": "Not yet."},
        ("POST", "/api/v1/risks/"): risk_body,
        ("PUT", "/api/v1/risks/{id}/"): risk_body,
        ("PATCH", "/api/v1/risks/{id}/"): {"likelihood": 2, "mitigation": "Reweighing."},
        ("POST", "/api/v1/incidents/"): incident_body,
        ("PUT", "/api/v1/incidents/{id}/"): incident_body,
        ("PATCH", "/api/v1/incidents/{id}/"): {"severity": "low", "financial_loss": "10.00"},
        ("POST", "/api/v1/kpis/"): kpi_body,
        ("PUT", "/api/v1/kpis/{id}/"): {**kpi_body, "name": "AUC renamed"},
        ("PATCH", "/api/v1/kpis/{id}/"): {"target": 0.95},
        ("POST", "/api/v1/kpis/{id}/measurements/"): {
            "points": [
                {
                    "measured_at": (now - timedelta(minutes=30)).isoformat(),
                    "value": 0.88,
                    "source": "pipeline",
                },
                {"measured_at": (now - timedelta(minutes=10)).isoformat(), "value": 0.87},
            ]
        },
        ("POST", "/api/v1/compliance-records/"): compliance_body,
        ("PUT", "/api/v1/compliance-records/{id}/"): compliance_body,
        ("PATCH", "/api/v1/compliance-records/{id}/"): {"status": "partial", "notes": "Half done."},
        ("POST", "/api/v1/reports/"): {
            "organisation": org.pk,
            "kind": "organisation_maturity",
            "parameters": {"period_start": "2026-01-01", "period_end": "2026-03-31"},
        },
        ("POST", "/api/v1/models/import/"): {},  # multipart only: see bad_uploads
        ("POST", "/api/v1/reports/verify/"): {},  # multipart only: see bad_uploads
        ("POST", "/api/v1/report-schedules/"): {**schedule_body, "organisation": org.pk},
        ("PUT", "/api/v1/report-schedules/{id}/"): schedule_body,
        ("PATCH", "/api/v1/report-schedules/{id}/"): {"frequency": "weekly", "recipients": ["a@example.com"]},
        ("POST", "/api/v1/report-schedules/{id}/run/"): {},
        ("POST", "/api/v1/assessments/"): {
            "organisation": org.pk,
            "title": "Q4 review",
            "business_unit": unit.pk,
            **targets,
        },
        ("PATCH", "/api/v1/assessments/{id}/"): targets,
        ("POST", "/api/v1/assessments/{id}/answers/"): [
            {
                "question": "strategy-q1",
                "level": 3,
                "not_applicable": False,
                "comment": "Roadmap exists.",
                "evidence_links": ["https://wiki.example.com/roadmap"],
            },
            {"question": "modeling-q2", "not_applicable": True, "not_applicable_reason": "No models yet."},
        ],
        ("POST", "/api/v1/assessments/{id}/submit/"): {},
        ("POST", "/api/v1/assessments/{id}/approve/"): {},
        ("POST", "/api/v1/assessments/{id}/return/"): {"reason": "Evidence missing."},
        ("POST", "/api/v1/reassessment-schedules/"): {
            "organisation": org.pk,
            "business_unit": unit.pk,
            "frequency": "half-yearly",
            "active": True,
        },
        ("PATCH", "/api/v1/reassessment-schedules/{id}/"): {"frequency": "yearly", "active": False},
        ("POST", "/api/v1/reassessment-schedules/{id}/run/"): {},
        ("POST", "/api/v1/validations/"): {
            "version": ours["version"].pk,
            "scope": ["data", "performance"],
            "started_on": (today - timedelta(days=10)).isoformat(),
            "completed_on": today.isoformat(),
            "outcome": "approved",
            "summary": "Sound.",
            "evidence_link": "https://wiki.example.com/validation",
        },
        ("PUT", "/api/v1/validations/{id}/"): {
            "version": ours["version"].pk,
            "scope": ["data"],
            "started_on": (today - timedelta(days=10)).isoformat(),
        },
        ("PATCH", "/api/v1/validations/{id}/"): {"summary": "Updated.", "scope": ["implementation"]},
        ("POST", "/api/v1/validation-findings/"): {
            "validation": ours["validations"].pk,
            "title": "Calibration drift",
            "severity": "medium",
            "due_date": (today + timedelta(days=30)).isoformat(),
        },
        ("PATCH", "/api/v1/validation-findings/{id}/"): {"status": "accepted"},
        ("POST", "/api/v1/deployment-checks/"): {
            "model": str(model.pk),
            "version": ours["version"].version,
            "environment": "production",
        },
        ("POST", "/api/v1/deployments/"): {
            "model": model.name,
            "version": ours["version"].version,
            "environment": "test",
            "strategy": "canary",
            "status": "started",
            "pipeline_run_url": "https://ci.example.com/run/1",
        },
        ("POST", "/api/v1/deployments/{id}/status/"): {"status": "succeeded"},
        ("POST", "/api/v1/release-policy/"): {
            "rules": default_rules(),
            "note": "Stricter.",
            "organisation": org.pk,
        },
    }


# Fields holding the id of a record: what "another organisation's" value is for each.
FOREIGN_IDS = {
    "model": lambda f: f["models"].pk,
    "subject_id": lambda f: f["models"].pk,
    "owner": lambda f: f["owner"].pk,
    "organisation": lambda f: f["organisation"].pk,
    "business_unit": lambda f: f["business_unit"].pk,
    "version": lambda f: f["version"].pk,
    "developers": lambda f: [f["admin"].pk],
}


def _actor(data: dict, method: str, path: str):
    # Approval decisions need an executive or risk officer who neither requested the change nor owns the model.
    if path.startswith("/api/v1/approval-requests/{id}/"):
        return data["risk_officer"]
    return data["ours"]["admin"]


def file_fields(schema: dict, method: str, path: str) -> list[str]:
    """The upload fields of an operation's multipart body."""
    content = schema["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
    node = _resolve(schema, (content.get("multipart/form-data") or {}).get("schema"))
    return [name for name, prop in (node.get("properties") or {}).items() if prop.get("format") == "binary"]


def bad_uploads() -> list[Any]:
    def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, content, content_type=content_type)

    return [
        "not a file",
        upload("empty.pdf", b""),
        upload("nul\x00.pdf", b"%PDF-1.7\x00\x00"),
        upload("evil.exe", b"MZ\x90\x00", "application/octet-stream"),
        upload("x" * 300 + ".pdf", b"%PDF-1.7"),
        upload("../../etc/passwd.pdf", b"%PDF-1.7 not really"),
    ]


# --- Sending and checking -------------------------------------------------------------------------


class Recorder:
    """Sends requests, each in a savepoint, and keeps every broken promise instead of stopping at the first."""

    def __init__(self, client) -> None:
        self.client = client
        self.failures: list[str] = []
        self.sent = 0
        self.statuses: dict[int, int] = {}

    def send(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        multipart: dict | None = None,
    ):
        label = f"{method} {url} {_short(raw if raw is not None else (multipart or body))}"
        audit_before = AuditEvent.objects.count()
        self.sent += 1
        try:
            with transaction.atomic():
                if multipart is not None:
                    send = getattr(self.client, method.lower())
                    response = send(url, multipart, format="multipart")
                else:
                    payload = raw if raw is not None else LITERAL.sub(r"\1", json.dumps(body)).encode()
                    response = self.client.generic(method, url, payload, content_type="application/json")
        except Exception as exc:  # the test client re-raises what would have been a 500
            self.failures.append(f"{label} -> 500 {type(exc).__name__}: {str(exc)[:200]}")
            return None
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            self.failures.append(f"{label} -> {response.status_code}")
        elif response.status_code == 400:
            try:
                parsed = json.loads(response.content)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict) or not parsed:
                self.failures.append(f"{label} -> 400 without a JSON object: {response.content[:200]!r}")
            if AuditEvent.objects.count() != audit_before:
                self.failures.append(f"{label} -> 400 but an audit event was written (something changed)")
        return response


def _short(value: Any) -> str:
    text = value.decode(errors="replace") if isinstance(value, bytes) else json.dumps(value, default=str)
    return text if len(text) <= 120 else f"{text[:100]}...({len(text)} chars)"


def _url(path: str, record_id: Any) -> str:
    # Pipelines name a version by its label in the model card paths: every dataset version has the same one;
    # a schedule's run by its period (the one _read_id runs).
    path = path.replace("{version}", VERSION_LABEL).replace("{period}", RUN_PERIODS.get(_resource(path), ""))
    return re.sub(r"\{[^}]+\}", str(record_id), path)


def _resource(path: str) -> str:
    return path.removeprefix("/api/v1/").split("/", 1)[0]


SCHEMA = _schema()
OPERATIONS = writable_operations(SCHEMA)
READ_OPERATIONS = sorted(path for path, operations in SCHEMA["paths"].items() if "get" in operations)


def test_schema_lists_every_operation_fuzzed_here(db):
    """Guards the fuzz below: an endpoint dropped from the schema would silently stop being fuzzed."""
    assert len(OPERATIONS) >= EXPECTED_OPERATIONS, OPERATIONS
    assert len(READ_OPERATIONS) >= EXPECTED_READ_OPERATIONS, READ_OPERATIONS


@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_bad_input_never_ends_in_a_500(method, path, dataset, api_client):
    bodies = valid_bodies(dataset)
    assert (method, path) in bodies, f"Add a valid body for {method} {path} to valid_bodies()"
    body = bodies[(method, path)]
    client = api_client(_actor(dataset, method, path))
    recorder = Recorder(client)
    resource = _resource(path)
    has_id = "{" in path
    url = _url(path, dataset["ours"][resource].pk) if has_id else path

    # Uploads: every file field gets bad files, beside the (flat) valid body.
    flat = body if isinstance(body, dict) else {}
    form = {k: v for k, v in flat.items() if isinstance(v, str | int | bool)}
    for field in file_fields(SCHEMA, method, path):
        for upload in bad_uploads():
            recorder.send(method, url, multipart={**form, field: upload})
    if not accepts_json(SCHEMA, method, path):
        recorder.send(method, url, multipart={})
        recorder.send(method, url, {"file": "x"})  # JSON where only multipart is accepted: 415
        assert not recorder.failures, "\n".join(recorder.failures)
        assert recorder.sent >= 8
        return

    body_schema = request_schema(SCHEMA, method, path)
    # The valid body first: the bad values below go into a body that otherwise passes.
    first = recorder.send(method, url, body)
    assert first is not None, recorder.failures
    assert first.status_code < 400 or first.status_code in {403, 409}, (
        f"The valid body of {method} {path} was refused: {first.status_code} {first.content[:500]!r}"
    )

    # Broken as a whole.
    for raw in MALFORMED_JSON:
        recorder.send(method, url, raw=raw)
    recorder.send(method, url, [body] if isinstance(body, dict) else {"items": body})
    recorder.send(method, url, {})
    recorder.send(method, url, [])
    recorder.send(method, url, {"unknown_field": "value", "another": [1, 2]})
    if isinstance(body, dict):
        recorder.send(method, url, dict.fromkeys(body))
        recorder.send(method, url, {**body, "unknown_field": "value", "id": MISSING_ID})
        for key in body if method != "PATCH" else ():
            recorder.send(method, url, {k: v for k, v in body.items() if k != key})

    # Broken one field at a time. PUT shares its serializer and update service with PATCH, which gets the
    # values typed for each field: PUT gets the common ones (keeps the file fast).
    foreign = dataset["foreign"]
    for field_path, kind in field_paths(SCHEMA, body_schema, body):
        name = next((part for part in reversed(field_path) if isinstance(part, str)), "")
        values = [*COMMON, *(BY_KIND[kind] if method != "PUT" else ())]
        if name in FOREIGN_IDS and kind in {"integer", "array"}:
            # Another organisation's record named in the body is refused (or, for a read-only field, ignored):
            # never linked to.
            foreign_id = FOREIGN_IDS[name](foreign)
            response = recorder.send(method, url, with_value(body, field_path, foreign_id))
            if (
                response is not None
                and response.status_code < 400
                and response.json().get(name) == foreign_id
            ):
                recorder.failures.append(
                    f"{method} {url} with {name}={foreign_id} (another organisation's) -> {response.status_code}"
                )
            values += [MISSING_ID, [MISSING_ID] if isinstance(foreign_id, list) else -MISSING_ID]
        for value in values:
            recorder.send(method, url, with_value(body, field_path, value))

    # Bulk endpoints: one bad point in a good batch, and batches over the limit.
    if path.endswith("/measurements/"):
        good = body["points"][0]
        recorder.send(method, url, {"points": [good, {**good, "value": "NaN"}, good]})
        recorder.send(method, url, {"points": [good] * (monitoring_services.MAX_POINTS + 1)})
        recorder.send(method, url, {"points": [good, "not a point", None, 7]})
    if path.endswith("/answers/"):
        recorder.send(method, url, [*body, {"question": "strategy-q2", "level": 99}])
        recorder.send(method, url, [body[0]] * 5_000)
        recorder.send(method, url, {"answers": [*body, None, "x", 7]})
        recorder.send(method, url, [{"question": "no-such-question", "level": 1}])

    # Other organisations' records, and ids that do not exist, answer 404 whatever the body.
    if has_id:
        for record_id in [foreign[resource].pk, MISSING_ID, HUGE, -1, "abc", "\u00e9"]:
            response = recorder.send(method, _url(path, record_id), body)
            if response is not None and response.status_code != 404:
                recorder.failures.append(
                    f"{method} {_url(path, record_id)} -> {response.status_code}, not 404"
                )

    assert not recorder.failures, f"{len(recorder.failures)} of {recorder.sent} requests:\n" + "\n".join(
        recorder.failures[:40]
    )
    if body_schema.get("properties") or body_schema.get("items"):
        # The bad values reached validation (not all stopped at a 403/404/409 before it).
        assert recorder.statuses.get(400, 0) >= 5, recorder.statuses


# --- Reads: bad filters and ids -------------------------------------------------------------------

BAD_QUERY_VALUES = ["abc", str(HUGE), "-1", "\x00", "2026-13-45", "x" * 10_000]
SHARED_RESOURCES = {"questionnaires", "frameworks"}  # catalogues every organisation reads


def _read_id(data: dict, path: str) -> Any:
    resource = _resource(path)
    if resource == "questionnaires":
        return data["questionnaire"].pk
    if resource == "frameworks":
        return data["requirement"].framework_id
    if resource == "audit-events":
        return AuditEvent.objects.filter(organisation=data["ours"]["organisation"]).latest("pk").pk
    if "{period}" in path and resource == "report-schedules":
        from governance.services import report_schedules

        assert report_schedules.run_report_schedule(data["ours"][resource], today=RUN_DAY) is not None
    if "{period}" in path and resource == "reassessment-schedules":
        assert maturity_services.run_reassessment(data["ours"][resource], today=RUN_DAY) is not None
    if resource == "reports":
        from governance.reports import services as report_services

        ours = data["ours"]
        return report_services.request_report(
            actor=ours["admin"], organisation=ours["organisation"], kind="model_inventory"
        ).pk
    return data["ours"][resource].pk


@pytest.mark.parametrize("path", READ_OPERATIONS)
def test_bad_filters_and_ids_never_end_in_a_500(path, dataset, api_client):
    recorder = Recorder(api_client(dataset["ours"]["admin"]))
    has_id = "{" in path
    url = _url(path, _read_id(dataset, path)) if has_id else path
    first = recorder.send("GET", url)
    assert first is not None and first.status_code in {200, 409}, (path, getattr(first, "content", b"")[:300])
    parameters = SCHEMA["paths"][path]["get"].get("parameters", [])
    for name in [p["name"] for p in parameters if p["in"] == "query"]:
        for value in BAD_QUERY_VALUES:
            recorder.send("GET", f"{url}?{urlencode({name: value})}")
    if has_id:
        foreign = dataset["foreign"]
        resource = _resource(path)
        candidates = [MISSING_ID, HUGE, -1, "abc", "%00"]
        if resource in foreign:
            candidates.append(foreign[resource].pk)
        for record_id in candidates:
            response = recorder.send("GET", _url(path, record_id))
            if response is not None and response.status_code != 404:
                recorder.failures.append(f"GET {_url(path, record_id)} -> {response.status_code}, not 404")
    assert not recorder.failures, f"{len(recorder.failures)} of {recorder.sent} requests:\n" + "\n".join(
        recorder.failures[:40]
    )


# --- Regressions: the 500s this fuzz found -------------------------------------------------------


def test_measurement_time_that_leaves_the_storable_range_is_a_field_error(dataset, api_client):
    """0001-01-01T00:00+14:00 is a valid ISO time but falls before year 1 in UTC: the SQLite backend raised
    OverflowError storing it, and PostgreSQL stored a BC time Python cannot read back."""
    kpi = dataset["ours"]["kpis"]
    before = KPIMeasurement.objects.filter(kpi=kpi).count()
    client = api_client(dataset["ours"]["admin"])
    for moment in ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]:
        response = client.post(
            f"/api/v1/kpis/{kpi.pk}/measurements/",
            {"points": [{"measured_at": moment, "value": 0.5}]},
            format="json",
        )
        assert response.status_code == 400, response.content
        assert response.json()["points"][0]["field"] == "measured_at"
    assert KPIMeasurement.objects.filter(kpi=kpi).count() == before


@pytest.mark.parametrize(
    "url,body,field",
    [
        ("/api/v1/reports/", {"kind": "model_inventory", "parameters": {"\x00": "x"}}, "parameters"),
        (
            "/api/v1/report-schedules/",
            {"kind": "compliance", "parameters": {"framework": "a\x00"}},
            "parameters",
        ),
        ("/api/v1/assessments/{assessment}/answers/", [{"question": "strategy-q1", "comment": "\x00"}], None),
    ],
)
def test_nul_characters_are_refused_naming_the_field(url, body, field, dataset, api_client):
    """PostgreSQL stores no NUL in text or jsonb (nor compares one): these reached the database as a 500."""
    ours = dataset["ours"]
    url = url.format(assessment=ours["assessments"].pk)
    if isinstance(body, dict):
        body = {"frequency": "monthly", "recipients": ["cro@example.com"], **body}
    events = AuditEvent.objects.count()
    response = api_client(ours["admin"]).post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field or "non_field_errors"]
    assert "NUL" in response.json()["errors"][field or "non_field_errors"][0]
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "url,raw,message",
    [
        # RecursionError escaped DRF's parser (it catches ValueError only); the login view has its own parsers.
        ("/api/v1/models/", b"[" * 100_000, "nested too deeply"),
        ("/api/v1/auth/token/", b'{"a": ' * 50_000, "nested too deeply"),
        # 1e400 parses to infinity: every id field raised OverflowError turning it into an integer.
        ("/api/v1/risks/", b'{"model": 1e400, "title": "t", "likelihood": 1, "impact": 1}', "Out of range"),
        # An integer no float holds raised OverflowError in float fields and the measurement ingest.
        ("/api/v1/kpis/", b'{"target": 1' + b"0" * 400 + b"}", "out of range"),
    ],
)
def test_malformed_json_is_a_parse_error(url, raw, message, dataset, api_client):
    client = api_client(dataset["ours"]["admin"])
    response = client.generic("POST", url, raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
