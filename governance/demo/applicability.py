"""Demo Statement of Applicability for `seed_demo`: every Annex A control decided as a mid-sized bank would,
issued once a year ago and again today, with a few decisions changed in between, so the diff page and the PDF
have something to show.

Every decision goes through ``governance.services.applicability`` (so the audit trail is real); the first
issue is then dated back a year, as if issued at the last surveillance audit. Idempotent: an organisation that
already has an issued statement is left as it is.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from governance.models import IssuedStatement, Organisation
from governance.selectors.applicability import annex_a_controls, annex_a_framework
from governance.services.applicability import applicability_update, statement_issue

DONE, P, PL = "implemented", "partial", "planned"
DMS = "https://dms.example-bank.com/aims"

# ref -> (applicable, status, justification) as decided at the first issue.
FIRST_ISSUE: dict[str, tuple[bool, str, str]] = {
    "A.2.2": (
        True,
        DONE,
        "The Group AI Policy (board-approved, v2.1) sets the principles every AI system follows.",
    ),
    "A.2.3": (
        True,
        P,
        "The AI policy must agree with the model risk, data protection and outsourcing policies.",
    ),
    "A.2.4": (
        True,
        DONE,
        "The AI governance committee reviews the AI policy every year and after major regulation.",
    ),
    "A.3.2": (
        True,
        DONE,
        "Model owners, validators and the AI governance committee hold the roles in the RACI.",
    ),
    "A.3.3": (True, DONE, "Concerns about AI systems go to the speak-up channel and the model risk mailbox."),
    "A.4.2": (True, DONE, "Every model's resources are recorded on its inventory card."),
    "A.4.3": (
        True,
        P,
        "Training and monitoring data sets are catalogued; lineage for vendor data is incomplete.",
    ),
    "A.4.4": (True, DONE, "The ML platform (registry, pipelines, monitoring) is the documented tooling."),
    "A.4.5": (
        True,
        DONE,
        "Compute for training and scoring is provisioned through the platform's capacity plan.",
    ),
    "A.4.6": (
        True,
        P,
        "Competence matrix for model developers and validators; AI literacy training in rollout.",
    ),
    "A.5.2": (
        True,
        DONE,
        "An AI impact assessment is part of model intake for every new or materially changed model.",
    ),
    "A.5.3": (
        True,
        DONE,
        "Impact assessments are kept with the model dossier for the model's life plus 7 years.",
    ),
    "A.5.4": (
        True,
        P,
        "Fairness analysis covers age and sex; other protected characteristics are being added.",
    ),
    "A.5.5": (
        False,
        "",
        "Assessed at Group level in the sustainability report; no separate assessment per AI system.",
    ),
    "A.6.1.2": (
        True,
        DONE,
        "Responsible-development objectives are set per model in its KPIs and thresholds.",
    ),
    "A.6.1.3": (True, DONE, "The model development standard defines the stages and the gates between them."),
    "A.6.2.2": (True, DONE, "Requirements and intended use are recorded before development starts."),
    "A.6.2.3": (True, P, "Design documentation is complete for high-risk models; templates for the rest."),
    "A.6.2.4": (
        True,
        DONE,
        "Independent validation by the model validation team before production (SR 11-7).",
    ),
    "A.6.2.5": (True, DONE, "Release gates enforce the release policy; deployments are recorded by CI/CD."),
    "A.6.2.6": (True, P, "KPI monitoring with thresholds for production models; drift alerts in pilot."),
    "A.6.2.7": (True, P, "Annex IV technical documentation for high-risk systems is being completed."),
    "A.6.2.8": (True, DONE, "Decision logs are kept for two years; the audit trail is hash-chained."),
    "A.7.2": (True, DONE, "Data used for development and enhancement is defined per model version."),
    "A.7.3": (True, DONE, "Data acquisition follows the data sourcing standard, including third-party data."),
    "A.7.4": (True, P, "Data quality checks run in the pipelines; thresholds not yet set for all features."),
    "A.7.5": (
        True,
        P,
        "Provenance is recorded for internal data; vendor data provenance is contractual only.",
    ),
    "A.7.6": (True, DONE, "Data preparation steps are versioned with the training code."),
    "A.8.2": (True, DONE, "Users receive the model card and instructions for use with every release."),
    "A.8.3": (
        False,
        "",
        "The bank places no AI system on the market; reporting to supervisors is covered by A.8.5.",
    ),
    "A.8.4": (
        True,
        DONE,
        "AI incidents follow the operational incident process, with AI-specific severities.",
    ),
    "A.8.5": (True, DONE, "Supervisors and auditors receive the model inventory and reports on request."),
    "A.9.2": (True, DONE, "Responsible-use procedures cover overrides, referrals and customer explanations."),
    "A.9.3": (
        True,
        PL,
        "Objectives for responsible use will be set with each business unit in the next cycle.",
    ),
    "A.9.4": (True, DONE, "Use outside the recorded intended use needs a new approval."),
    "A.10.2": (True, DONE, "Responsibilities between the bank, vendors and customers are set in contracts."),
    "A.10.3": (
        True,
        P,
        "Vendor AI systems are assessed at onboarding; periodic reassessment is being set up.",
    ),
    "A.10.4": (
        True,
        P,
        "Customer needs are captured for AI-assisted products; corporate clients' terms in review.",
    ),
}

# What changed before the second issue: ref -> (applicable, status, justification).
SECOND_ISSUE: dict[str, tuple[bool, str, str]] = {
    "A.4.6": (
        True,
        DONE,
        "Competence matrix in force; AI literacy training completed by 96 % of staff in scope.",
    ),
    "A.5.5": (
        True,
        P,
        "Included since the EU AI Act fundamental-rights assessment: societal impacts are now assessed per "
        "high-risk system.",
    ),
    "A.6.2.6": (
        True,
        DONE,
        "KPI monitoring with thresholds and staleness checks for every production model.",
    ),
    "A.9.3": (True, P, "Responsible-use objectives set for Retail and SME banking; Markets to follow."),
}


def _decide(organisation, control, decision, users) -> None:
    applicable, status, justification = decision
    owner = (
        users["risk_officer"]
        if control.ref.startswith(("A.2", "A.3", "A.5", "A.10"))
        else users["model_owner"]
    )
    applicability_update(
        actor=users["risk_officer"],
        organisation=organisation,
        control=control,
        applicable=applicable,
        justification=justification,
        implementation_status=status or "not_started",
        owner=owner if applicable else None,
        evidence_link=f"{DMS}/{control.ref}" if applicable and status in (DONE, P) else "",
        next_review_due=timezone.localdate() + timedelta(days=30 if control.ref == "A.7.4" else 365),
    )


def seed_applicability_demo(organisation: Organisation, users: dict) -> None:
    framework = annex_a_framework()
    if framework is None or IssuedStatement.objects.filter(organisation=organisation).exists():
        return
    controls = list(annex_a_controls(framework).select_related("framework"))
    with transaction.atomic():
        for control in controls:
            decision = FIRST_ISSUE.get(control.ref) or (True, PL, f"Needed for {control.title.lower()}.")
            _decide(organisation, control, decision, users)
        first = statement_issue(
            actor=users["risk_officer"],
            organisation=organisation,
            note="Issued for the ISO/IEC 42001 stage 2 audit",
        )
        # As if issued at last year's audit (the service stamps issues with the time they are made).
        IssuedStatement.objects.filter(pk=first.pk).update(issued_at=timezone.now() - timedelta(days=365))
        for control in controls:
            if control.ref in SECOND_ISSUE:
                _decide(organisation, control, SECOND_ISSUE[control.ref], users)
        statement_issue(
            actor=users["risk_officer"],
            organisation=organisation,
            note="Annual review before the surveillance audit",
        )
