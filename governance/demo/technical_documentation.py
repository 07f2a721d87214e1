"""Demo EU AI Act Annex IV technical documentation for `seed_demo`: the retail credit scorecard's document is
complete (every free text written by its owner, and the one fact the inventory demo leaves out — its data
sources — recorded), the mortgage affordability model's is left half done (one text, no validation), so the
demo shows an auditor both a finished document and what "not recorded" looks like.

Runs after the inventory, monitoring, compliance, risks, release and model card seeders, through the services.
Idempotent: texts already written are left as they are.
"""

from governance.models import AIModel, ModelCard, Organisation, VersionStatus
from governance.selectors.technical_documentation import document_record
from governance.services import inventory as inventory_services
from governance.services.model_cards import model_card_save
from governance.services.technical_documentation import technical_documentation_update

COMPLETE = "Retail credit scorecard"
INCOMPLETE = "Mortgage affordability model"

DATA_SOURCES = (
    "Application form data (income, employment, loan purpose and amount), credit bureau attributes retrieved at "
    "application time, and 12 months of internal current-account behaviour for existing customers."
)

TEXTS: dict[str, str] = {
    "instructions_for_use": (
        "The score is produced for every personal-loan application and sets the decision band: approve (score "
        "620 and above), refer to an underwriter (560-619) or decline (below 560). Underwriters see the score, "
        "the band and the five main reason codes; they must review every referral and any decline within 20 "
        "points of the cut-off. The score must not be used for credit cards, overdrafts, mortgages, pricing or "
        "collections, nor for applicants without six months of bureau history, who go to manual underwriting."
    ),
    "design_choices": (
        "A logistic regression scorecard with coarse-classed, monotonic weight-of-evidence bins was chosen over "
        "gradient-boosted trees: the gain in Gini on the development sample was 0.02, too small to justify "
        "losing point-based reason codes that declined applicants and underwriters can read. Postcode, "
        "nationality, sex and age are excluded as inputs; age and sex are kept only to measure outcomes. Reject "
        "inference uses parcelling so the model is not trained on booked applications only."
    ),
    "data_governance": (
        "Training data are the 212,400 applications booked from January 2019 to December 2023, taken from the "
        "loan origination system's governed snapshot (owner: Retail Credit Data Office) with bureau data as "
        "retrieved at application time. Data quality checks (completeness, ranges, duplicates) run in the "
        "pipeline and block training on failure. Representativeness was checked against the 2024 applicant "
        "population by channel, age band and employment type; the thin-file segment is under-represented and "
        "routed to manual underwriting. Payment-holiday months of 2020 are excluded from the outcome window."
    ),
    "human_oversight": (
        "Retail credit underwriters oversee the score: they review every referral and near-cut-off decline, "
        "may override the band with a written reason, and overrides above 5% a month are reported to the "
        "model risk committee. Underwriters are trained yearly on the score's limits and on automation bias. "
        "The Head of Retail Credit Risk can suspend automated declines and route all applications to manual "
        "review within one business day."
    ),
    "limitations": (
        "Accuracy is lower for thin-file applicants (observed bad rates exceed expected by 0.9 points; open "
        "validation finding) and unknown for self-employed applicants with less than two years of accounts. "
        "The score assumes stable bureau data definitions and may degrade after an economic shock; PSI above "
        "0.25 or a bad-rate shift of more than one point triggers recalibration. Using the score outside "
        "personal lending could deny credit unfairly and is not permitted."
    ),
    "standards_applied": (
        "No harmonised standard for the EU AI Act has been published yet. Applied instead: the bank's Model "
        "Risk Management Standard (aligned with SR 11-7), ISO/IEC 42001:2023 for the AI management system, "
        "ISO/IEC 23894:2023 for AI risk management and the NIST AI RMF 1.0 for fairness measurement. "
        "Coverage of each framework is tracked in Plumbline's compliance records."
    ),
    "declaration_reference": (
        "EU declaration of conformity DoC-2025-RCS-003 for version 3.2.0, signed on behalf of Acme Bank by the "
        "Chief Risk Officer; the signed copy is filed in the compliance document register (folder "
        "AI-Act/High-risk/Retail credit scorecard) and kept for ten years after the model is retired."
    ),
    "post_market_plan": (
        "AUC, population stability and p95 latency are measured daily by the scoring pipeline and posted to "
        "Plumbline; the approval-rate ratio between age bands is reviewed monthly. A warning threshold opens a "
        "review by the model owner within five business days; a critical breach or a serious incident is "
        "escalated to the model risk committee at once and, where it affects applicants' rights, reported to "
        "the market surveillance authority within 15 days. The full monitoring pack is reviewed quarterly."
    ),
}

PARTIAL_TEXTS: dict[str, str] = {
    "instructions_for_use": (
        "The estimate supports mortgage advisers: it proposes a sustainable monthly repayment which the adviser "
        "checks against the applicant's documented income and expenditure before any offer. It is not a "
        "credit decision on its own."
    ),
}


def _champion_card(model: AIModel, owner) -> None:
    """The complete document reads the champion's card; written here only if the model card demo did not."""
    champion = model.versions.filter(status=VersionStatus.CHAMPION).first()
    if champion is None or ModelCard.objects.filter(version=champion).exists():
        return
    model_card_save(
        actor=owner,
        version=champion,
        fields={
            "training_data": "212,400 booked applications, January 2019 to December 2023 (bad rate 2.8%).",
            "evaluation_data": "Out-of-time sample of 48,210 applications, January to June 2024.",
        },
    )


def seed_technical_documentation_demo(organisation: Organisation, users: dict) -> None:
    owner, admin = users["model_owner"], users["admin"]
    models = {
        m.name: m for m in AIModel.objects.filter(organisation=organisation, name__in=[COMPLETE, INCOMPLETE])
    }
    complete = models.get(COMPLETE)
    if complete is not None:
        if not complete.data_sources.strip():
            inventory_services.update_model(actor=admin, model=complete, data_sources=DATA_SOURCES)
            complete.refresh_from_db()
        _champion_card(complete, owner)
        _write_missing(complete, owner, TEXTS)
    incomplete = models.get(INCOMPLETE)
    if incomplete is not None:
        _write_missing(incomplete, owner, PARTIAL_TEXTS)


def _write_missing(model: AIModel, actor, texts: dict[str, str]) -> None:
    """Write the texts the model's document does not hold yet (a second seeding changes nothing)."""
    record = document_record(model)
    stored = (record.texts if record else None) or {}
    missing = {key: text for key, text in texts.items() if not (stored.get(key) or "").strip()}
    if missing:
        technical_documentation_update(actor=actor, model=model, texts=missing)
