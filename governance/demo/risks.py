"""Demo risk register and incidents for the demo organisation's models.

Call ``seed_risks_demo(organisation, users)`` after the inventory demo data exists; ``users`` maps role values
to users (needs "risk_officer" and "model_owner"). Everything goes through the services, so the audit trail
shows who recorded what; then each record is dated back (``governance.demo.history``): a risk to some time in
its model's life, an incident to when it was detected. Idempotent: a risk or incident that already exists by title
for its model is kept.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from governance.demo.history import backdate, days_ago, stable_number
from governance.models import AIModel, Incident, Organisation, Risk
from governance.services import incidents as incident_services
from governance.services import risks as risk_services

# model, title, category, likelihood, impact, mitigation, residual (likelihood, impact) or None, status,
# due in days from today (negative: overdue while open or mitigating), owner role, description.
RISKS: tuple[tuple, ...] = (
    (
        "Retail credit scorecard",
        "Score drift after interest-rate rises",
        "financial",
        4,
        5,
        "Monthly PSI monitoring with a 0.10 warning; quarterly recalibration; override policy for referrals.",
        (2, 4),
        "mitigating",
        -12,
        "model_owner",
        "Applicant population and affordability shift faster than the annual redevelopment cycle.",
    ),
    (
        "Retail credit scorecard",
        "Indirect discrimination through postcode features",
        "fairness",
        3,
        5,
        "Postcode removed; disparate-impact testing per release across protected characteristics.",
        (1, 4),
        "closed",
        None,
        "risk_officer",
        "Geographic variables can act as proxies for ethnicity.",
    ),
    (
        "Retail credit scorecard",
        "Adverse-action reasons not explainable to applicants",
        "explainability",
        3,
        4,
        "",
        None,
        "open",
        30,
        "model_owner",
        "Consumer-credit rules require the main reasons for a decline to be given.",
    ),
    (
        "Mortgage affordability model",
        "Underestimated expenses for self-employed applicants",
        "robustness",
        3,
        4,
        "Manual underwriting for self-employed cases until the segment model is validated.",
        (2, 3),
        "mitigating",
        45,
        "model_owner",
        "Few self-employed cases in the training data; errors cluster there.",
    ),
    (
        "Mortgage affordability model",
        "Consumer Duty: foreseeable harm from over-lending",
        "legal",
        2,
        5,
        "",
        None,
        "open",
        -5,
        "risk_officer",
        "Regulators expect evidence that affordability outcomes are monitored.",
    ),
    (
        "Card transaction fraud detector",
        "Adversarial adaptation by fraud rings",
        "security",
        4,
        4,
        "Weekly retraining on confirmed fraud; rule layer for new typologies; red-team exercise twice a year.",
        (3, 3),
        "mitigating",
        60,
        "model_owner",
        "Fraudsters probe thresholds and shift patterns within days.",
    ),
    (
        "Card transaction fraud detector",
        "False declines at peak trading",
        "operational",
        3,
        3,
        "Dynamic thresholds by merchant category; step-up authentication instead of declines.",
        (2, 2),
        "accepted",
        None,
        "risk_officer",
        "Too many good customers declined on Black Friday and in the holidays.",
    ),
    (
        "AML transaction monitoring",
        "Missed suspicious activity in new payment rails",
        "legal",
        3,
        5,
        "Scenario rules for instant payments added; coverage review with Financial Crime Compliance.",
        (2, 5),
        "mitigating",
        -20,
        "risk_officer",
        "Instant payments were not in the training period.",
    ),
    (
        "IFRS 9 PD model — corporate",
        "Macroeconomic overlays not reproducible",
        "operational",
        3,
        3,
        "",
        None,
        "open",
        90,
        "model_owner",
        "Overlays are set in spreadsheets outside the model's pipeline.",
    ),
    (
        "Customer churn propensity",
        "Personal data kept beyond its retention period",
        "privacy",
        2,
        3,
        "Feature store retention set to 24 months; deletion job monitored.",
        (1, 2),
        "closed",
        None,
        "risk_officer",
        "Training snapshots contained closed customers' data.",
    ),
    (
        "Relationship manager assistant (LLM)",
        "Hallucinated product terms given to clients",
        "robustness",
        4,
        4,
        "Retrieval restricted to approved product sheets; answers cite sources; human review before sending.",
        (2, 3),
        "mitigating",
        21,
        "model_owner",
        "The assistant drafts client e-mails that may quote rates and fees.",
    ),
    (
        "Relationship manager assistant (LLM)",
        "Client data sent to a third-party model provider",
        "privacy",
        3,
        5,
        "",
        None,
        "open",
        -3,
        "risk_officer",
        "Prompts contain client names and positions.",
    ),
    (
        "Treasury liquidity forecaster",
        "Forecast error in stressed markets",
        "financial",
        2,
        4,
        "Forecast used with a management buffer; stress scenarios run alongside.",
        (2, 2),
        "accepted",
        None,
        "model_owner",
        "Training history contains few stress periods.",
    ),
    (
        "KYC document OCR",
        "Vendor model changed without notice",
        "operational",
        3,
        3,
        "Contractual change notification; monthly accuracy sample on 200 documents.",
        (2, 2),
        "mitigating",
        14,
        "model_owner",
        "The vendor updates its hosted model continuously.",
    ),
    (
        "Complaint triage classifier",
        "Vulnerable customers' complaints misrouted",
        "fairness",
        2,
        4,
        "",
        None,
        "open",
        40,
        "risk_officer",
        "Complaints mentioning illness or bereavement need priority handling.",
    ),
    (
        "Branch footfall forecaster",
        "Local events missing from the forecast",
        "operational",
        2,
        2,
        "",
        None,
        "open",
        60,
        "model_owner",
        "Markets and road closures move footfall; staffing follows the forecast.",
    ),
)

INCIDENTS: tuple[dict, ...] = (
    {
        "model": "Retail credit scorecard",
        "title": "Approvals of high-risk applicants after population drift",
        "severity": "high",
        "occurred_days_ago": 75,
        "detected_days_ago": 48,
        "closed_days_ago": 12,
        "status": "closed",
        "description": (
            "After two base-rate rises the scorecard kept approving applicants whose affordability had "
            "worsened; early arrears on loans booked in the period rose to three times the expected rate."
        ),
        "impact": "1,840 loans booked above risk appetite; provisions increased; no customer detriment found.",
        "financial_loss": Decimal("1240000.00"),
        "currency": "EUR",
        "root_cause": (
            "Population stability index breached 0.25 for six weeks; the drift alert went to a shared mailbox "
            "nobody watched, and the recalibration was scheduled only annually."
        ),
        "actions_taken": (
            "Cut-off raised by 20 points the day it was found; model recalibrated and revalidated; PSI alerts "
            "now page the model owner; quarterly recalibration added to the model's review plan."
        ),
    },
    {
        "model": "Card transaction fraud detector",
        "title": "Spike in false declines during a peak sales weekend",
        "severity": "medium",
        "occurred_days_ago": 20,
        "detected_days_ago": 20,
        "status": "mitigated",
        "description": "Decline rate doubled for two hours on the Saturday of a national sales weekend.",
        "impact": "About 3,100 genuine payments declined; 410 complaints.",
        "financial_loss": Decimal("18500.00"),
        "currency": "EUR",
        "root_cause": "Merchant-category thresholds were not adjusted for the seasonal volume.",
        "actions_taken": "Thresholds rolled back; goodwill payments made; seasonal profile being added.",
    },
    {
        "model": "Relationship manager assistant (LLM)",
        "title": "Draft e-mail quoted a withdrawn savings rate",
        "severity": "low",
        "occurred_days_ago": 6,
        "detected_days_ago": 5,
        "status": "investigating",
        "description": "A draft quoted last quarter's rate; the relationship manager caught it before sending.",
        "impact": "None: caught in human review.",
        "financial_loss": None,
        "currency": "EUR",
        "root_cause": "",
        "actions_taken": "Product sheet index refreshed.",
    },
)


def seed_risks_demo(organisation: Organisation, users: dict) -> tuple[list[Risk], list[Incident]]:
    """Create the demo risks and incidents (those missing) and return what was created."""
    actor = users.get("risk_officer") or users["admin"]
    models = {m.name: m for m in AIModel.objects.filter(organisation=organisation)}
    today = timezone.localdate()
    risks: list[Risk] = []
    for (
        model_name,
        title,
        category,
        likelihood,
        impact,
        mitigation,
        residual,
        status,
        due_in,
        owner_role,
        description,
    ) in RISKS:
        model = models.get(model_name)
        if model is None or Risk.objects.filter(model=model, title=title).exists():
            continue
        risk = risk_services.create_risk(
            actor=actor,
            organisation=organisation,
            model=model,
            title=title,
            category=category,
            description=description,
            likelihood=likelihood,
            impact=impact,
            mitigation=mitigation,
            residual_likelihood=residual[0] if residual else None,
            residual_impact=residual[1] if residual else None,
            owner=users.get(owner_role) or actor,
            status=status,
            due_date=today + timedelta(days=due_in) if due_in is not None else None,
        )
        _date_risk(risk, model, due_in)
        risks.append(risk)
    now = timezone.now().replace(second=0, microsecond=0)
    incidents: list[Incident] = []
    for spec in INCIDENTS:
        model = models.get(spec["model"])
        if model is None or Incident.objects.filter(model=model, title=spec["title"]).exists():
            continue
        closed = spec.get("closed_days_ago")
        incident = incident_services.create_incident(
            actor=actor,
            organisation=organisation,
            model=model,
            title=spec["title"],
            severity=spec["severity"],
            occurred_at=now - timedelta(days=spec["occurred_days_ago"]),
            detected_at=now - timedelta(days=spec["detected_days_ago"]),
            description=spec["description"],
            impact=spec["impact"],
            financial_loss=spec["financial_loss"],
            currency=spec["currency"],
            root_cause=spec["root_cause"],
            actions_taken=spec["actions_taken"],
            status=spec["status"],
            closed_at=now - timedelta(days=closed) if closed is not None else None,
        )
        # Recorded the day it was detected; last updated when closed, else a few days later.
        last = closed if closed is not None else max(spec["detected_days_ago"] - 3, 0)
        backdate(
            incident,
            created_at=incident.detected_at + timedelta(hours=2),
            updated_at=days_ago(last, f"{spec['title']}|updated", now=timezone.now()),
        )
        incidents.append(incident)
    return risks, incidents


def _date_risk(risk: Risk, model: AIModel, due_in: int | None) -> None:
    """Identified at a point of the model's life (a month after it joined the inventory at the earliest, before
    an overdue due date), last updated since; a model added today keeps today's dates."""
    age = (timezone.now() - model.created_at).days
    latest = max(7, 30 - due_in if due_in is not None and due_in < 0 else 7)
    if age - 30 <= latest:
        return
    identified = latest + stable_number(risk.title) % (age - 30 - latest)
    updated = stable_number(f"{risk.title}|updated") % identified
    backdate(
        risk,
        created_at=days_ago(identified, risk.title),
        updated_at=days_ago(updated, f"{risk.title}|updated"),
    )
