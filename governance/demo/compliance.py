"""Demo compliance records for `seed_demo`: the high-risk credit models against the EU AI Act (the others screened
against it), every model against SR 11-7, the models in the scope of the bank's ISO/IEC 42001 certification
against it and three models against the NIST AI RMF, with a realistic mix of statuses and evidence links.

Every record goes through ``governance.services.compliance.update_record`` (so the audit trail is real).
The service refuses next-review dates in the past, so to show what overdue reviews look like a few records are
then aged: their review date and due date are moved back, as if reviewed a year ago. Every record's review is
then dated a year before its next review is due (reviews are annual), but not before its model joined the
inventory. Idempotent: an organisation that already has compliance records is left as it is.
"""

import hashlib
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from governance.demo.history import days_ago
from governance.models import AIModel, ComplianceRecord, ComplianceStatus, LifecycleStage, Organisation
from governance.selectors.compliance import applicable_requirements, current_framework, in_scope_models
from governance.services.compliance import update_record

C, P, N, NA = (
    ComplianceStatus.COMPLIANT,
    ComplianceStatus.PARTIAL,
    ComplianceStatus.NON_COMPLIANT,
    ComplianceStatus.NOT_APPLICABLE,
)
SKIP = None  # leave not assessed

# EU AI Act, per high-risk model: ref -> (status, notes or N/A reason).
EU_AI_ACT: dict[str, dict[str, tuple]] = {
    "Retail credit scorecard": {
        "Art. 4": (C, ""),
        "Art. 5": (C, "Screened at intake: no prohibited practice."),
        "Art. 6": (C, "Annex III 5(b): creditworthiness of natural persons."),
        "Art. 9": (C, ""),
        "Art. 10": (P, "Bias testing covers age and sex; disability proxies not yet analysed. Due Q3."),
        "Art. 11": (C, ""),
        "Art. 12": (P, "Decision logs kept 2 years; retention policy for feature snapshots still in draft."),
        "Art. 13": (C, ""),
        "Art. 14": (C, "Referral band reviewed by underwriters; override reasons captured."),
        "Art. 15": (P, "Adversarial input testing not yet performed."),
        "Art. 17": (P, "QMS procedures written; internal audit of the QMS scheduled."),
        "Art. 26": (C, ""),
        "Art. 27": (N, "Fundamental rights impact assessment not started; owner assigned."),
        "Art. 43": (SKIP, ""),
        "Art. 49": (SKIP, ""),
        "Art. 50": (
            NA,
            "No direct interaction with applicants and no generated content; decisions are notified "
            "through the standard adverse-action letter (Art. 26(11)).",
        ),
        "Art. 72": (
            P,
            "Monthly monitoring pack exists; not yet formalised as a post-market monitoring plan.",
        ),
        "Art. 73": (C, ""),
    },
    "Mortgage affordability model": {
        "Art. 4": (C, ""),
        "Art. 5": (C, "Screened at intake: no prohibited practice."),
        "Art. 6": (C, "Annex III 5(b): creditworthiness of natural persons."),
        "Art. 9": (P, "Risk register exists; residual risk acceptance not signed off."),
        "Art. 10": (N, "Training data lineage undocumented for the 2019-2020 vintage."),
        "Art. 11": (P, "Annex IV sections 2 and 6 missing."),
        "Art. 12": (C, ""),
        "Art. 13": (P, "Instructions for use drafted; accuracy limits not yet stated."),
        "Art. 14": (C, ""),
        "Art. 15": (N, "No robustness testing beyond hold-out performance."),
        "Art. 26": (P, "Oversight staff named; training records incomplete."),
        "Art. 27": (SKIP, ""),
        "Art. 50": (NA, "Advisers use the output; applicants never interact with the model."),
        "Art. 72": (SKIP, ""),
        "Art. 73": (C, ""),
    },
}

SCREENING: dict[str, tuple] = {
    "Art. 4": (C, ""),
    "Art. 5": (C, "Screened at intake: no prohibited practice."),
    "Art. 6": (C, "Not an Annex I or Annex III use; classification recorded on the inventory card."),
    "Art. 50": (C, "Users are told they are dealing with an automated assistant."),
}
NIST_MODELS = (
    "Relationship manager assistant (LLM)",
    "Card transaction fraud detector",
    "Complaint triage classifier",
)
# The scope of the ISO/IEC 42001 certificate: the bank's most material models in production.
ISO_MODELS = (
    "Retail credit scorecard",
    "Mortgage affordability model",
    "Card transaction fraud detector",
    "AML transaction monitoring",
)
# Records aged to show overdue reviews: (model, framework key, ref, days overdue).
AGED = (
    ("Retail credit scorecard", "eu-ai-act", "Art. 13", 21),
    ("Mortgage affordability model", "eu-ai-act", "Art. 12", 45),
    ("AML transaction monitoring", "sr-11-7", "V.4", 12),
    ("Customer churn propensity", "sr-11-7", "V.3", 60),
    ("KYC document OCR", "sr-11-7", "V.6", 8),
)


def _evidence_link(model: AIModel, framework_key: str, ref: str) -> str:
    return f"https://dms.acme-bank.example/model-risk/{slugify(model.name)}/{framework_key}/{slugify(ref)}"


def _pick(model: AIModel, ref: str) -> str | None:
    """A stable, stage-dependent status for generated demo records (mature models are mostly compliant)."""
    roll = int(hashlib.sha256(f"{model.name}|{ref}".encode()).hexdigest()[:4], 16) % 100
    if model.lifecycle_stage == LifecycleStage.PRODUCTION:
        return C if roll < 65 else P if roll < 85 else N if roll < 93 else None
    if model.lifecycle_stage == LifecycleStage.VALIDATION:
        return C if roll < 40 else P if roll < 70 else N if roll < 80 else None
    # In development: what is done before validation (SR 11-7 development and documentation; the NIST AI RMF's
    # govern and map functions) is partly evidenced, the rest not yet assessed.
    if ref.startswith(("IV", "VI.4", "GOVERN", "MAP")):
        return C if roll < 30 else P if roll < 70 else None
    return None


GAP_NOTES = {
    P: "Partly evidenced; remaining gaps tracked in the model risk issue log.",
    N: "Not met at the last review; remediation plan owned by the model owner.",
}


def _record(risk_officer, model, requirement, status, text, due_days: int) -> None:
    if status is None:
        return
    today = timezone.localdate()
    key = requirement.framework.key
    if int(hashlib.sha256(f"{model.pk}|{requirement.pk}".encode()).hexdigest()[:4], 16) % 9 == 0:
        due_days = 10 + due_days % 20  # a few reviews fall due within the month

    update_record(
        actor=risk_officer,
        model=model,
        requirement=requirement,
        status=status,
        not_applicable_reason=text if status == NA else "",
        evidence_link=_evidence_link(model, key, requirement.ref) if status in (C, P) else "",
        notes=(text or GAP_NOTES.get(status, "")) if status != NA else "",
        next_review_due=today + timedelta(days=due_days),
    )


def seed_compliance_demo(organisation: Organisation, users: dict) -> None:
    """Create demo compliance records for ``organisation``; ``users`` maps role values to users."""
    if ComplianceRecord.objects.filter(organisation=organisation).exists():
        return
    risk_officer = users["risk_officer"]
    models = {m.name: m for m in in_scope_models(organisation)}
    eu, sr, nist, iso = (
        current_framework(k) for k in ("eu-ai-act", "sr-11-7", "nist-ai-rmf", "iso-iec-42001")
    )
    with transaction.atomic():
        if eu is not None:
            for name, statuses in EU_AI_ACT.items():
                model = models.get(name)
                if model is None:
                    continue
                for index, requirement in enumerate(applicable_requirements(model, eu)):
                    status, text = statuses.get(requirement.ref, (SKIP, ""))
                    _record(risk_officer, model, requirement, status, text, 90 + 7 * index)
            # Every other model was screened at intake (Arts. 4-6) and the limited-risk ones for Art. 50.
            for model in models.values():
                if model.name in EU_AI_ACT:
                    continue
                for index, requirement in enumerate(applicable_requirements(model, eu)):
                    status, text = SCREENING.get(requirement.ref, (SKIP, ""))
                    if model.name == "Relationship manager assistant (LLM)" and requirement.ref == "Art. 50":
                        status, text = P, "Chat discloses it is an AI; generated drafts are not yet marked."
                    _record(risk_officer, model, requirement, status, text, 200 + 7 * index)
        if sr is not None:
            for model in models.values():
                for index, requirement in enumerate(applicable_requirements(model, sr)):
                    _record(
                        risk_officer, model, requirement, _pick(model, requirement.ref), "", 120 + 5 * index
                    )
        if nist is not None:
            for name in NIST_MODELS:
                model = models.get(name)
                if model is None:
                    continue
                for index, requirement in enumerate(applicable_requirements(model, nist)):
                    _record(
                        risk_officer, model, requirement, _pick(model, requirement.ref), "", 150 + 3 * index
                    )
        if iso is not None:
            for name in ISO_MODELS:
                model = models.get(name)
                if model is None:
                    continue
                for index, requirement in enumerate(applicable_requirements(model, iso)):
                    _record(
                        risk_officer, model, requirement, _pick(model, requirement.ref), "", 60 + 4 * index
                    )
        # Age a few reviews so the overdue flags have something to show (see the module docstring).
        today = timezone.localdate()
        for name, key, ref, days in AGED:
            ComplianceRecord.objects.filter(
                organisation=organisation,
                model__name=name,
                requirement__framework__key=key,
                requirement__framework__is_current=True,
                requirement__ref=ref,
            ).update(next_review_due=today - timedelta(days=days))
        _date_reviews(organisation)


def _date_reviews(organisation: Organisation) -> None:
    """Reviewed a year before the next review is due, not before the model joined the inventory (a fortnight
    after at the earliest), and not later than now."""
    now = timezone.now()
    records = list(
        ComplianceRecord.objects.filter(organisation=organisation)
        .select_related("model", "requirement")
        .order_by("pk")
    )
    for record in records:
        earliest = (now - record.model.created_at).days - 14
        ago = min(max((timezone.localdate() - record.next_review_due).days + 365, 1), max(earliest, 0))
        record.reviewed_at = record.updated_at = days_ago(ago, f"{record.model_id}|{record.requirement.ref}")
    ComplianceRecord.objects.bulk_update(records, ["reviewed_at", "updated_at"], batch_size=500)
