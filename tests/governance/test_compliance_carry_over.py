"""Carrying compliance records over to a new framework version: what is copied (status, the same evidence file,
notes with a carry-over line), what is flagged for review, what is reported (removed refs, requirements that no
longer apply), the audit trail, idempotency, tenancy, and the loader's hook and --no-carry-over flag."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from governance.core.audit import verify_chain
from governance.models import (
    AIModel,
    AuditEvent,
    ComplianceRecord,
    ComplianceStatus,
    Framework,
    LifecycleStage,
)
from governance.services import compliance as services
from tests.governance.inventory_factories import AIModelFactory

C, P, N = ComplianceStatus.COMPLIANT, ComplianceStatus.PARTIAL, ComplianceStatus.NON_COMPLIANT
LINK = "https://dms.example.com/evidence/7"
EVIDENCE = b"Risk management plan, signed off by the model risk committee.\n"
HIGH_RISK = {"eu_ai_act_category": ["high_risk"]}


def _requirement(ref: str, title: str, description: str, applies_to: dict | None = None) -> dict:
    data = {"ref": ref, "section": "Duties", "title": title, "description": description}
    if applies_to:
        data["applies_to"] = applies_to
    return data


def _catalogue(version: str, requirements: list[dict]) -> dict:
    return {
        "key": "test-act",
        "version": version,
        "name": "Test Act",
        "publisher": "Test Parliament",
        "source_url": "https://example.com/test-act",
        "description": "A small framework for the carry-over tests.",
        "requirements": requirements,
    }


# v1 -> v2: R1 unchanged; R2's description reworded; R3 removed; R4 narrowed to limited-risk models; R5 new.
V1 = _catalogue(
    "1",
    [
        _requirement("R1", "Risk management", "Run a documented risk management process."),
        _requirement("R2", "Logging", "Keep logs of the model's decisions.", HIGH_RISK),
        _requirement("R3", "Old duty", "A duty the new version drops."),
        _requirement("R4", "Transparency", "Tell people they deal with an AI system."),
    ],
)
V2 = _catalogue(
    "2",
    [
        _requirement("R1", "Risk management", "Run a documented risk management process."),
        _requirement(
            "R2", "Logging", "Keep tamper-evident logs of the model's decisions for six months.", HIGH_RISK
        ),
        _requirement(
            "R4",
            "Transparency",
            "Tell people they deal with an AI system.",
            {"eu_ai_act_category": ["limited"]},
        ),
        _requirement("R5", "Incident reporting", "Report serious incidents within 15 days."),
    ],
)


@pytest.fixture
def catalogue_files(tmp_path) -> tuple[Path, Path]:
    """v1 and v2 of the test framework, written where the loader reads them with --file."""
    paths = []
    for data in (V1, V2):
        path = tmp_path / f"test-act-{data['version']}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        paths.append(path)
    return paths[0], paths[1]


def _load(path: Path, **options) -> str:
    out = io.StringIO()
    call_command("load_frameworks", file=path, stdout=out, **options)
    return out.getvalue()


def _high_risk(organisation, owner, name: str) -> AIModel:
    return AIModelFactory(
        organisation=organisation,
        owner=owner,
        name=name,
        eu_ai_act_category="high_risk",
        lifecycle_stage=LifecycleStage.PRODUCTION,
    )


def _record(actor, model: AIModel, framework: Framework, ref: str, status: str, **fields) -> ComplianceRecord:
    return services.update_record(
        actor=actor,
        model=model,
        requirement=framework.requirements.get(ref=ref),
        status=status,
        **fields,
    )


def _carried(model: AIModel, ref: str) -> ComplianceRecord:
    return ComplianceRecord.objects.get(
        model=model, requirement__framework__version="2", requirement__ref=ref
    )


@pytest.fixture
def version_one_work(catalogue_files, organisation, other_organisation, model_owner, risk_officer, outsider):
    """v1 loaded and assessed: four records in ``organisation`` (one with an uploaded file), one in the other."""
    _load(catalogue_files[0])
    v1 = Framework.objects.get(key="test-act", version="1")
    scorecard = _high_risk(organisation, model_owner, "Retail credit scorecard")
    foreign = _high_risk(other_organisation, outsider, "Foreign model")
    overdue = timezone.localdate() - timedelta(days=10)
    records = {
        "R1": _record(
            risk_officer,
            scorecard,
            v1,
            "R1",
            C,
            evidence_file=SimpleUploadedFile("risk-plan.txt", EVIDENCE, content_type="text/plain"),
            notes="Plan approved in March.",
            next_review_due=timezone.localdate() + timedelta(days=90),
        ),
        "R2": _record(risk_officer, scorecard, v1, "R2", P, notes="Gap noted: retention not set."),
        "R3": _record(risk_officer, scorecard, v1, "R3", N, notes="Not started."),
        "R4": _record(risk_officer, scorecard, v1, "R4", C, evidence_link=LINK),
        "foreign R1": _record(outsider, foreign, v1, "R1", C, evidence_link=LINK),
    }
    # An overdue review stays overdue: carry-over never moves a due date later.
    ComplianceRecord.objects.filter(pk=records["R2"].pk).update(next_review_due=overdue)
    return {"v1": v1, "scorecard": scorecard, "foreign": foreign, "overdue": overdue, "records": records}


def test_loading_a_new_version_carries_records_over_for_review(
    catalogue_files, version_one_work, organisation, other_organisation, risk_officer
):
    events_before = set(AuditEvent.objects.values_list("pk", flat=True))
    output = _load(catalogue_files[1])
    today = timezone.localdate()
    v2 = Framework.objects.get(key="test-act", version="2")
    assert v2.is_current and not Framework.objects.get(pk=version_one_work["v1"].pk).is_current
    assert (
        "Carried compliance records over from Test Act version 1 to version 2: 3 copied (1 with changed wording), "
        "0 already present, 1 not applicable anymore, removed refs: R3 (1)." in output
    )

    scorecard, old = version_one_work["scorecard"], version_one_work["records"]
    # Unchanged wording: status, the same stored file and hash, notes plus a carry-over line; due today.
    r1 = _carried(scorecard, "R1")
    assert r1.organisation == organisation and r1.status == C
    assert r1.evidence_file.name == old["R1"].evidence_file.name
    assert r1.evidence_sha256 == old["R1"].evidence_sha256 != ""
    assert r1.notes == (
        "Plan approved in March.\n\n"
        f"Carried over from Test Act version 1 on {today.isoformat()}; review against the new wording of version 2."
    )
    assert r1.next_review_due == today
    assert r1.reviewer == risk_officer and r1.reviewed_at == old["R1"].reviewed_at
    # Changed wording: the note says so; an earlier (overdue) due date is kept.
    r2 = _carried(scorecard, "R2")
    assert r2.status == P
    assert r2.notes.startswith("Gap noted: retention not set.\n\nCarried over from Test Act version 1 on ")
    assert "the requirement's description changed in version 2" in r2.notes
    assert r2.next_review_due == version_one_work["overdue"]
    # Removed (R3) and no longer applicable (R4) are not copied; the new R5 stays not assessed.
    assert set(
        ComplianceRecord.objects.filter(model=scorecard, requirement__framework=v2).values_list(
            "requirement__ref", flat=True
        )
    ) == {"R1", "R2"}
    # The old records are untouched.
    assert ComplianceRecord.objects.get(pk=old["R1"].pk).notes == "Plan approved in March."

    # The other organisation's record is carried within that organisation, onto its own model.
    foreign = _carried(version_one_work["foreign"], "R1")
    assert foreign.organisation == other_organisation
    assert (
        ComplianceRecord.objects.filter(requirement__framework=v2, organisation=other_organisation).count()
        == 1
    )
    assert (
        not ComplianceRecord.objects.filter(requirement__framework=v2, organisation=organisation)
        .exclude(model=scorecard)
        .exists()
    )

    # One audit event per copy, in the copy's organisation, by "system"; both chains stay intact.
    events = AuditEvent.objects.exclude(pk__in=events_before)
    assert {(e.organisation_id, e.action, e.actor_label, e.object_id) for e in events} == {
        (organisation.pk, "compliance.carry_over", "system", str(r1.pk)),
        (organisation.pk, "compliance.carry_over", "system", str(r2.pk)),
        (other_organisation.pk, "compliance.carry_over", "system", str(foreign.pk)),
    }
    r1_event = events.get(object_id=str(r1.pk))
    assert r1_event.changes["carried_from_record"] == [None, old["R1"].pk]
    assert r1_event.changes["evidence_sha256"] == [None, old["R1"].evidence_sha256]
    assert r1_event.object_repr == "Retail credit scorecard — test-act R1"
    assert verify_chain() == []


def test_carry_over_by_hand_is_idempotent(
    catalogue_files,
    version_one_work,
    organisation,
    other_organisation,
    admin_user_member,
    django_assert_max_num_queries,
):
    # Loaded without carrying over, then carried over by hand, by a named person.
    _load(catalogue_files[1], no_carry_over=True)
    v1, v2 = version_one_work["v1"], Framework.objects.get(key="test-act", version="2")
    first = services.carry_over_records(old=v1, new=v2, actor=admin_user_member)
    assert first.copied == 3
    assert first.copied_by_organisation == {organisation.pk: 2, other_organisation.pk: 1}
    carry_events = AuditEvent.objects.filter(action="compliance.carry_over")
    assert set(carry_events.values_list("actor_label", flat=True)) == {"org-admin"}

    records, events = ComplianceRecord.objects.count(), AuditEvent.objects.count()
    # Lock, new requirements, records present, old records (+ the savepoint pair): nothing per record.
    with django_assert_max_num_queries(6):
        again = services.carry_over_records(old=v1, new=v2)
    assert (again.copied, again.already_present, again.not_applicable_anymore) == (0, 3, 1)
    assert again.removed_refs == {"R3": 1}
    assert "0 copied" in again.summary()
    # Reloading the loaded version is a no-op and does not carry over again.
    assert "already loaded" in _load(catalogue_files[1])
    assert ComplianceRecord.objects.count() == records
    assert AuditEvent.objects.count() == events


def test_carried_evidence_is_the_same_file_and_outlives_either_record(
    catalogue_files, version_one_work, risk_officer, login
):
    _load(catalogue_files[1])
    old = ComplianceRecord.objects.get(pk=version_one_work["records"]["R1"].pk)
    carried = _carried(version_one_work["scorecard"], "R1")

    def download(record: ComplianceRecord) -> bytes:
        response = login(risk_officer).get(reverse("governance:compliance-evidence", args=[record.pk]))
        assert response.status_code == 200
        return b"".join(response.streaming_content)

    assert download(carried) == download(old) == EVIDENCE
    # No copy was made: exactly one file in the evidence storage.
    assert [p for p in Path(old.evidence_file.storage.location).rglob("*") if p.is_file()] == [
        Path(old.evidence_file.path)
    ]
    # Deleting the carried record (back to "not assessed") must not take the shared file with it.
    services.delete_record(actor=risk_officer, record=carried)
    assert Path(old.evidence_file.path).read_bytes() == EVIDENCE
    assert download(old) == EVIDENCE


def test_records_on_retired_models_are_left_behind(catalogue_files, version_one_work):
    AIModel.objects.filter(pk=version_one_work["foreign"].pk).update(lifecycle_stage=LifecycleStage.RETIRED)
    output = _load(catalogue_files[1])
    assert "2 copied" in output and "1 on retired models left behind" in output
    assert not ComplianceRecord.objects.filter(
        model=version_one_work["foreign"], requirement__framework__version="2"
    ).exists()


def test_no_carry_over_flag_leaves_the_new_version_unassessed(catalogue_files, version_one_work):
    events = AuditEvent.objects.count()
    output = _load(catalogue_files[1], no_carry_over=True)
    assert "Loaded Test Act version 2" in output and "Carried" not in output
    assert Framework.objects.get(key="test-act", version="2").is_current
    assert not ComplianceRecord.objects.filter(requirement__framework__version="2").exists()
    assert AuditEvent.objects.count() == events


def test_carry_over_needs_two_versions_of_one_framework(catalogue_files, version_one_work):
    v1 = version_one_work["v1"]
    with pytest.raises(ValueError):
        services.carry_over_records(old=v1, new=v1)
