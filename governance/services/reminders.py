"""Daily reminder digests: what each person has to act on soon, in one email per person per day.

What goes to whom (only for organisations the person is still a member of):

- a model's periodic review due within ``HORIZON_DAYS`` or overdue → the model's owner;
- a compliance record's review due within the horizon or overdue → the model's owner and the record's last
  reviewer (the compliance officer who keeps it);
- a Statement of Applicability control's review due within the horizon or overdue → the control's owner and
  whoever decided it last;
- an open or mitigating risk whose treatment is due within the horizon or overdue → the risk's owner, or the
  model's owner when the risk has none;
- a KPI whose latest value breaches its warning or critical threshold → the model's owner;
- a KPI not measured within its expected cadence (stale monitoring) → the model's owner;
- a pending approval request → everyone who could decide it (roles with ``model.approve``), except its requester
  and the model's owner, whom separation of duties keeps from deciding. The requester gets no reminder: there is
  nothing for them to do but wait, and the approvers are the ones being chased.

Retired models are left out: nothing about them needs reviewing. ``collect_reminders`` runs a fixed number of
queries however much data there is; ``send_daily_digests`` sends each person at most one email a day, however often
it runs, because the ``ReminderDigest`` row (unique per user and day) is locked while its email goes out.
"""

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from governance.core.registry import reminder_sources
from governance.core.roles import PERMISSIONS, Permission
from governance.models import (
    AIModel,
    ApprovalRequest,
    ApprovalStatus,
    ComplianceRecord,
    ControlApplicability,
    KPIDefinition,
    LifecycleStage,
    Membership,
    ReminderDigest,
    Risk,
    RiskStatus,
)
from governance.rules.drift import is_stale
from governance.rules.kpi_status import BREACHES, CRITICAL

logger = logging.getLogger(__name__)

HORIZON_DAYS = 14

MODEL_REVIEW = "model_review"
COMPLIANCE_REVIEW = "compliance_review"
APPLICABILITY_REVIEW = "applicability_review"
RISK_DUE = "risk_due"
KPI_BREACH = "kpi_breach"
KPI_STALE = "kpi_stale"
APPROVAL = "approval"
# Order and headings of the sections of a digest.
KIND_LABELS = {
    APPROVAL: "Approval requests waiting for your decision",
    KPI_BREACH: "KPIs in breach",
    KPI_STALE: "KPIs not measured as expected",
    MODEL_REVIEW: "Model reviews",
    COMPLIANCE_REVIEW: "Compliance reviews",
    APPLICABILITY_REVIEW: "Statement of Applicability reviews",
    RISK_DUE: "Risk treatments",
}


def kind_label(kind: str) -> str:
    """A digest section's heading: governance's own, or the one another app registered (``reminder_sources``)."""
    if kind in KIND_LABELS:
        return KIND_LABELS[kind]
    source = reminder_sources.get(kind)
    return source.label if source is not None else kind


def kind_order(kind: str) -> tuple[int, int]:
    if kind in KIND_LABELS:
        return (0, list(KIND_LABELS).index(kind))
    source = reminder_sources.get(kind)
    return (1, source.order if source is not None else 0)


@dataclass(frozen=True)
class ReminderItem:
    """One thing one person should act on, as listed in their digest."""

    kind: str
    organisation_id: int
    organisation: str
    title: str
    url: str
    # The date something is due (reviews, risks) or was requested (approvals); None for KPI breaches.
    due: date | None = None
    # Days past ``due`` (0 when due today or later); only for reviews and risks.
    overdue_days: int = 0
    detail: str = ""

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def is_overdue(self) -> bool:
        return self.overdue_days > 0

    def as_json(self) -> dict:
        """What the digest row keeps of the item (for "why did I get this?")."""
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        return data


def absolute_url(path: str) -> str:
    """A path of this site as the link a digest email carries."""
    return settings.SITE_URL.rstrip("/") + path


def _is_member(user_field: str) -> Exists:
    """The user in ``user_field`` still belongs to the row's organisation (leavers get no reminders)."""
    return Exists(
        Membership.objects.filter(organisation_id=OuterRef("organisation_id"), user_id=OuterRef(user_field))
    )


def _due_item(
    kind: str, organisation, title: str, path: str, due: date, today: date, detail: str = ""
) -> ReminderItem:
    return ReminderItem(
        kind=kind,
        organisation_id=organisation.pk,
        organisation=organisation.name,
        title=title,
        url=absolute_url(path),
        due=due,
        overdue_days=max((today - due).days, 0),
        detail=detail,
    )


def _model_reviews(today: date, horizon: date, add) -> None:
    models = (
        AIModel.objects.filter(next_review_due__lte=horizon)
        .exclude(lifecycle_stage=LifecycleStage.RETIRED)
        .filter(_is_member("owner_id"))
        .select_related("organisation")
        .only("pk", "name", "next_review_due", "owner_id", "organisation__name")
    )
    for model in models:
        item = _due_item(
            MODEL_REVIEW,
            model.organisation,
            f"Review of {model.name}",
            reverse("governance:model-detail", args=[model.pk]),
            model.next_review_due,
            today,
        )
        add(model.owner_id, item)


def _compliance_reviews(today: date, horizon: date, add) -> None:
    records = (
        ComplianceRecord.objects.filter(next_review_due__lte=horizon)
        .exclude(model__lifecycle_stage=LifecycleStage.RETIRED)
        .annotate(
            owner_is_member=Exists(
                Membership.objects.filter(
                    organisation_id=OuterRef("organisation_id"), user_id=OuterRef("model__owner_id")
                )
            ),
            reviewer_is_member=_is_member("reviewer_id"),
        )
        .filter(Q(owner_is_member=True) | Q(reviewer_is_member=True))
        .select_related("organisation", "model", "requirement__framework")
        .only(
            "pk",
            "status",
            "next_review_due",
            "reviewer_id",
            "organisation__name",
            "model__name",
            "model__owner_id",
            "requirement__ref",
            "requirement__title",
            "requirement__framework__name",
            "requirement__framework__key",
        )
    )
    for record in records:
        requirement = record.requirement
        item = _due_item(
            COMPLIANCE_REVIEW,
            record.organisation,
            f"{record.model.name}: {requirement.framework.name} {requirement.ref} {requirement.title}",
            reverse("governance:compliance-model", args=[record.model_id, requirement.framework.key]),
            record.next_review_due,
            today,
            detail=f"Status: {record.get_status_display()}",
        )
        recipients = set()
        if record.owner_is_member:
            recipients.add(record.model.owner_id)
        if record.reviewer_id and record.reviewer_is_member:
            recipients.add(record.reviewer_id)
        for user_id in recipients:
            add(user_id, item)


def _applicability_reviews(today: date, horizon: date, add) -> None:
    """Annex A controls whose review is due → the control's owner and whoever decided it last (one query)."""
    entries = (
        ControlApplicability.objects.filter(next_review_due__lte=horizon)
        .annotate(owner_is_member=_is_member("owner_id"), reviewer_is_member=_is_member("reviewed_by_id"))
        .filter(Q(owner_is_member=True) | Q(reviewer_is_member=True))
        .select_related("organisation", "requirement")
        .only(
            "pk",
            "ref",
            "next_review_due",
            "owner_id",
            "reviewed_by_id",
            "organisation__name",
            "requirement__title",
        )
    )
    for entry in entries:
        item = _due_item(
            APPLICABILITY_REVIEW,
            entry.organisation,
            f"Statement of Applicability: {entry.ref} {entry.requirement.title}",
            reverse("governance:applicability") + f"#ctl-{entry.requirement_id}",
            entry.next_review_due,
            today,
        )
        recipients = set()
        if entry.owner_id and entry.owner_is_member:
            recipients.add(entry.owner_id)
        if entry.reviewed_by_id and entry.reviewer_is_member:
            recipients.add(entry.reviewed_by_id)
        for user_id in recipients:
            add(user_id, item)


def _risks(today: date, horizon: date, add) -> None:
    risks = (
        Risk.objects.filter(due_date__lte=horizon, status__in=[RiskStatus.OPEN, RiskStatus.MITIGATING])
        .exclude(model__lifecycle_stage=LifecycleStage.RETIRED)
        .annotate(
            owner_is_member=_is_member("owner_id"),
            model_owner_is_member=Exists(
                Membership.objects.filter(
                    organisation_id=OuterRef("organisation_id"), user_id=OuterRef("model__owner_id")
                )
            ),
        )
        .select_related("organisation", "model")
        .only(
            "pk",
            "title",
            "status",
            "due_date",
            "owner_id",
            "inherent_score",
            "residual_score",
            "organisation__name",
            "model__name",
            "model__owner_id",
        )
    )
    for risk in risks:
        if risk.owner_id:
            recipient = risk.owner_id if risk.owner_is_member else None
        else:
            recipient = risk.model.owner_id if risk.model_owner_is_member else None
        if recipient is None:
            continue
        score = risk.residual_score if risk.residual_score is not None else risk.inherent_score
        item = _due_item(
            RISK_DUE,
            risk.organisation,
            f"{risk.model.name}: {risk.title}",
            reverse("governance:risk-detail", args=[risk.pk]),
            risk.due_date,
            today,
            detail=f"{risk.get_status_display()}, score {score}",
        )
        add(recipient, item)


def _kpi_breaches(add, today: date) -> None:
    """KPIs in breach and KPIs whose monitoring is stale, in one query: each → the model's owner."""
    now = timezone.now()
    kpis = (
        # The stored status and freshness of each KPI (the partial indexes on breaching and on stale KPIs).
        KPIDefinition.objects.filter(Q(latest_status__in=BREACHES) | Q(stale_after__lt=now))
        .exclude(model__lifecycle_stage=LifecycleStage.RETIRED)
        .annotate(
            owner_is_member=Exists(
                Membership.objects.filter(
                    organisation_id=OuterRef("model__organisation_id"), user_id=OuterRef("model__owner_id")
                )
            ),
        )
        .filter(owner_is_member=True)
        .select_related("model__organisation")
    )
    for kpi in kpis:
        organisation = kpi.model.organisation
        if is_stale(kpi.stale_after, now):
            last = kpi.latest_measured_at
            item = _due_item(
                KPI_STALE,
                organisation,
                f"{kpi.model.name}: {kpi.name} has not been measured as expected",
                reverse("governance:kpi-detail", args=[kpi.pk]),
                timezone.localdate(kpi.stale_after),
                today,
                detail=(
                    f"Expected every {kpi.expected_cadence_hours} h; "
                    + (f"last measured {timezone.localdate(last):%Y-%m-%d}" if last else "never measured")
                ),
            )
            add(kpi.model.owner_id, item)
        status = kpi.latest_status
        if status not in BREACHES:
            continue
        threshold = kpi.critical_threshold if status == CRITICAL else kpi.warning_threshold
        unit = f" {kpi.unit}" if kpi.unit else ""
        add(
            kpi.model.owner_id,
            ReminderItem(
                kind=KPI_BREACH,
                organisation_id=organisation.pk,
                organisation=organisation.name,
                title=f"{kpi.model.name}: {kpi.name} is {status}",
                url=absolute_url(reverse("governance:kpi-detail", args=[kpi.pk])),
                detail=(
                    f"Latest {kpi.latest_value:g}{unit} on {timezone.localdate(kpi.latest_measured_at):%Y-%m-%d}; "
                    f"{status} threshold {threshold:g}{unit}"
                ),
            ),
        )


def _approvals(today: date, add) -> None:
    pending = list(
        ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING)
        .select_related("organisation", "model", "version", "requested_by")
        .order_by("requested_at", "pk")
    )
    if not pending:
        return
    approvers: dict[int, list[int]] = defaultdict(list)
    for organisation_id, user_id in (
        Membership.objects.filter(
            organisation_id__in={request.organisation_id for request in pending},
            role__in=PERMISSIONS[Permission.MODEL_APPROVE],
        )
        .order_by()
        .values_list("organisation_id", "user_id")
    ):
        approvers[organisation_id].append(user_id)
    url = absolute_url(reverse("governance:approval-list"))
    for request in pending:
        if request.kind == "stage_change":
            what = f"move to {request.get_requested_stage_display().lower()}"
        else:
            what = f"promote version {request.version.version if request.version else '?'} to champion"
        requested_on = timezone.localdate(request.requested_at)
        item = ReminderItem(
            kind=APPROVAL,
            organisation_id=request.organisation_id,
            organisation=request.organisation.name,
            title=f"{request.model.name}: {what}",
            url=url,
            due=requested_on,
            detail=(
                f"Requested by {request.requested_by.get_username()} on {requested_on:%Y-%m-%d} "
                f"({(today - requested_on).days} days ago)"
            ),
        )
        for user_id in approvers[request.organisation_id]:
            if user_id not in (request.requested_by_id, request.model.owner_id):
                add(user_id, item)


def _sort_key(item: ReminderItem):
    return (item.organisation, kind_order(item.kind), item.due or date.max, item.title)


def collect_reminders(today: date | None = None) -> dict[int, list[ReminderItem]]:
    """Every person's reminders for ``today``: {user id: items sorted by organisation, kind and due date}."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=HORIZON_DAYS)
    collected: dict[int, list[ReminderItem]] = defaultdict(list)

    def add(user_id: int | None, item: ReminderItem) -> None:
        if user_id is not None:
            collected[user_id].append(item)

    _approvals(today, add)
    _kpi_breaches(add, today)
    _model_reviews(today, horizon, add)
    _compliance_reviews(today, horizon, add)
    _applicability_reviews(today, horizon, add)
    _risks(today, horizon, add)
    for source in reminder_sources:
        source.collect(today, horizon, add)
    return {user_id: sorted(items, key=_sort_key) for user_id, items in collected.items()}


def _grouped(items: list[ReminderItem]) -> list[dict]:
    """[{organisation, sections: [{label, items}]}] in the digest's order."""
    organisations: dict[str, dict[str, list[ReminderItem]]] = {}
    for item in items:
        organisations.setdefault(item.organisation, {}).setdefault(item.kind, []).append(item)
    return [
        {
            "organisation": name,
            "sections": [{"label": kind_label(kind), "items": entries} for kind, entries in kinds.items()],
        }
        for name, kinds in organisations.items()
    ]


def digest_message(user, items: list[ReminderItem], today: date) -> EmailMultiAlternatives:
    """The digest email (plain text with an HTML alternative) listing ``items`` for ``user``."""
    overdue = sum(1 for item in items if item.is_overdue)
    subject = f"[Plumbline] {len(items)} reminder{'s' if len(items) != 1 else ''} for {today:%d %b %Y}"
    if overdue:
        subject += f" ({overdue} overdue)"
    context = {
        "user": user,
        "today": today,
        "organisations": _grouped(items),
        "count": len(items),
        "overdue": overdue,
        "horizon_days": HORIZON_DAYS,
        "site_url": settings.SITE_URL.rstrip("/"),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("governance/email/reminder_digest.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("governance/email/reminder_digest.html", context), "text/html"
    )
    return message


def send_daily_digests(today: date | None = None) -> int:
    """Email every person with reminders their digest for ``today``; returns how many emails were sent.

    Safe to run again the same day: a digest already sent is not sent again. A digest whose email failed is
    kept unsent (logged) and is retried by the next run that day.
    """
    today = today or timezone.localdate()
    reminders = collect_reminders(today)
    users = get_user_model().objects.in_bulk(list(reminders))
    sent = 0
    for user_id in sorted(reminders):
        user = users.get(user_id)
        if user is None or not user.is_active:
            continue
        if not user.email:
            logger.warning(
                "Reminder digest for %s skipped: the user has no email address", user.get_username()
            )
            continue
        items = reminders[user_id]
        # The row exists (committed) before any email goes out, so a failed send leaves a visible unsent digest.
        ReminderDigest.objects.get_or_create(
            user=user,
            digest_date=today,
            defaults={"item_count": len(items), "items": [item.as_json() for item in items]},
        )
        try:
            # The row lock makes a second, concurrent run wait here and then find the digest sent.
            with transaction.atomic():
                digest = ReminderDigest.objects.select_for_update().get(user=user, digest_date=today)
                if digest.sent_at is not None:
                    continue
                digest.item_count = len(items)
                digest.items = [item.as_json() for item in items]
                digest_message(user, items, today).send()
                digest.sent_at = timezone.now()
                digest.save(update_fields=["item_count", "items", "sent_at"])
        except OSError:
            # SMTP errors are OSErrors: log and go on with the others; the unsent digest is retried.
            logger.exception("Reminder digest for %s could not be sent", user.get_username())
            continue
        sent += 1
    logger.info("Reminder digests for %s: %s sent", today, sent)
    return sent


def unsent_digest_count(today: date | None = None) -> int:
    """How many of the day's digests exist but were not sent (their email failed)."""
    today = today or timezone.localdate()
    return ReminderDigest.objects.filter(digest_date=today, sent_at__isnull=True).count()
