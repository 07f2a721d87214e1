"""Daily reminder digests: who is reminded of what, one email per person per day, constant query count."""

import logging
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from governance.core.registry import reminder_sources
from governance.core.roles import Role
from governance.models import (
    ApprovalStatus,
    ComplianceStatus,
    LifecycleStage,
    Membership,
    ReminderDigest,
    RiskStatus,
)
from governance.services import reminders
from governance.services.reminders import (
    APPROVAL,
    COMPLIANCE_REVIEW,
    KPI_BREACH,
    MODEL_REVIEW,
    RISK_DUE,
    collect_reminders,
    send_daily_digests,
)
from tests.factories import MembershipFactory, UserFactory
from tests.governance.inventory_factories import AIModelFactory
from tests.governance.reminder_factories import (
    ApprovalRequestFactory,
    ComplianceRecordFactory,
    KPIFactory,
    RiskFactory,
    measure,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def kinds_of(collected, user) -> list[tuple[str, str]]:
    return [(item.kind, item.title) for item in collected.get(user.pk, [])]


@pytest.fixture
def ai_model(organisation, model_owner):
    return AIModelFactory(organisation=organisation, owner=model_owner, name="Credit Scorer")


def test_model_review_due_within_14_days_or_overdue_goes_to_its_owner(
    organisation, model_owner, risk_officer, auditor
):
    AIModelFactory(organisation=organisation, owner=model_owner, name="Due today", next_review_due=TODAY)
    AIModelFactory(organisation=organisation, owner=model_owner, name="Due in 14", next_review_due=days(14))
    AIModelFactory(organisation=organisation, owner=model_owner, name="Due in 15", next_review_due=days(15))
    AIModelFactory(organisation=organisation, owner=model_owner, name="Overdue", next_review_due=days(-3))
    AIModelFactory(organisation=organisation, owner=model_owner, name="No date", next_review_due=None)
    AIModelFactory(
        organisation=organisation,
        owner=model_owner,
        name="Retired",
        next_review_due=days(-30),
        lifecycle_stage=LifecycleStage.RETIRED,
    )

    collected = collect_reminders(TODAY)

    items = {item.title: item for item in collected[model_owner.pk]}
    assert set(items) == {"Review of Due today", "Review of Due in 14", "Review of Overdue"}
    assert all(item.kind == MODEL_REVIEW for item in items.values())
    overdue = items["Review of Overdue"]
    assert (overdue.due, overdue.overdue_days, overdue.is_overdue) == (days(-3), 3, True)
    assert items["Review of Due in 14"].overdue_days == 0
    assert overdue.organisation == organisation.name
    assert overdue.url.startswith(django_settings.SITE_URL.rstrip("/") + "/models/")
    assert risk_officer.pk not in collected and auditor.pk not in collected


def test_compliance_review_goes_to_model_owner_and_reviewer(
    organisation, ai_model, model_owner, risk_officer, auditor
):
    ComplianceRecordFactory(
        model=ai_model,
        reviewer=risk_officer,
        status=ComplianceStatus.PARTIAL,
        next_review_due=days(14),
        requirement__ref="Art. 9",
    )
    ComplianceRecordFactory(model=ai_model, reviewer=risk_officer, next_review_due=days(15))

    collected = collect_reminders(TODAY)

    for user in (model_owner, risk_officer):
        (item,) = collected[user.pk]
        assert item.kind == COMPLIANCE_REVIEW
        assert "Credit Scorer" in item.title and "Art. 9" in item.title
        assert item.detail == "Status: Partially compliant"
        assert item.due == days(14)
        assert item.url.endswith(f"/models/{ai_model.pk}/compliance/reminder-test-framework/")
    assert auditor.pk not in collected


def test_open_risk_due_goes_to_its_owner_or_else_the_model_owner(
    organisation, ai_model, model_owner, risk_officer
):
    RiskFactory(model=ai_model, owner=risk_officer, title="Bias against applicants", due_date=days(-1))
    RiskFactory(model=ai_model, owner=None, title="Drift", due_date=days(7), status=RiskStatus.MITIGATING)
    RiskFactory(
        model=ai_model, owner=risk_officer, title="Closed", due_date=days(-1), status=RiskStatus.CLOSED
    )
    RiskFactory(
        model=ai_model, owner=risk_officer, title="Accepted", due_date=days(1), status=RiskStatus.ACCEPTED
    )
    RiskFactory(model=ai_model, owner=risk_officer, title="Later", due_date=days(15))

    collected = collect_reminders(TODAY)

    assert kinds_of(collected, risk_officer) == [(RISK_DUE, "Credit Scorer: Bias against applicants")]
    assert kinds_of(collected, model_owner) == [(RISK_DUE, "Credit Scorer: Drift")]
    assert collected[risk_officer.pk][0].overdue_days == 1
    assert "/risks/" in collected[risk_officer.pk][0].url


def test_kpi_breach_goes_to_model_owner_only_while_latest_value_breaches(
    organisation, ai_model, model_owner, executive
):
    critical = KPIFactory(model=ai_model, name="AUC")
    measure(critical, 0.9, 0.65)
    recovered = KPIFactory(model=ai_model, name="Recall")
    measure(recovered, 0.6, 0.9)
    warning = KPIFactory(
        model=ai_model,
        name="Latency",
        direction="lower",
        target=100,
        warning_threshold=200,
        critical_threshold=500,
    )
    measure(warning, 250)
    KPIFactory(model=ai_model, name="No data")

    collected = collect_reminders(TODAY)

    assert sorted(kinds_of(collected, model_owner)) == [
        (KPI_BREACH, "Credit Scorer: AUC is critical"),
        (KPI_BREACH, "Credit Scorer: Latency is warning"),
    ]
    auc = next(item for item in collected[model_owner.pk] if "AUC" in item.title)
    assert "Latest 0.65" in auc.detail and "critical threshold 0.7" in auc.detail
    assert auc.url.endswith(f"/kpis/{critical.pk}/")
    assert executive.pk not in collected


def test_pending_approval_goes_to_those_who_may_decide_it(
    organisation, ai_model, model_owner, executive, risk_officer, admin_user_member, auditor, make_member
):
    requesting_officer = make_member(Role.RISK_OFFICER, username="requesting-officer")
    ApprovalRequestFactory(model=ai_model, requested_by=requesting_officer)
    ApprovalRequestFactory(model=ai_model, status=ApprovalStatus.APPROVED)

    collected = collect_reminders(TODAY)

    for approver in (executive, risk_officer):
        (item,) = collected[approver.pk]
        assert item.kind == APPROVAL
        assert item.title == "Credit Scorer: move to production"
        assert "requesting-officer" in item.detail
        assert item.url.endswith("/approvals/")
    # The requester and the model's owner may not decide it; admins and auditors have no model.approve.
    for user in (requesting_officer, model_owner, admin_user_member, auditor):
        assert user.pk not in collected


def test_other_organisations_stay_apart_and_a_member_of_both_gets_one_list(
    organisation, other_organisation, model_owner, make_member
):
    other_owner = make_member(Role.MODEL_OWNER, organisation=other_organisation, username="other-owner")
    both = make_member(Role.MODEL_OWNER, username="in-both")
    MembershipFactory(user=both, organisation=other_organisation, role=Role.MODEL_OWNER)
    AIModelFactory(organisation=organisation, owner=model_owner, name="Ours", next_review_due=TODAY)
    AIModelFactory(organisation=other_organisation, owner=other_owner, name="Theirs", next_review_due=TODAY)
    AIModelFactory(organisation=organisation, owner=both, name="Both A", next_review_due=TODAY)
    AIModelFactory(organisation=other_organisation, owner=both, name="Both B", next_review_due=TODAY)

    collected = collect_reminders(TODAY)

    assert [i.title for i in collected[model_owner.pk]] == ["Review of Ours"]
    assert [i.title for i in collected[other_owner.pk]] == ["Review of Theirs"]
    assert {(i.organisation, i.title) for i in collected[both.pk]} == {
        (organisation.name, "Review of Both A"),
        (other_organisation.name, "Review of Both B"),
    }

    assert send_daily_digests(TODAY) == 3
    (email,) = [m for m in mail.outbox if m.to == [both.email]]
    assert organisation.name in email.body and other_organisation.name in email.body


def test_former_members_get_no_reminders(organisation, ai_model, model_owner):
    ai_model.next_review_due = TODAY
    ai_model.save()
    Membership.objects.filter(user=model_owner).delete()

    assert collect_reminders(TODAY) == {}


def test_digest_is_sent_once_per_user_per_day(organisation, ai_model, model_owner, executive):
    ai_model.next_review_due = days(-2)
    ai_model.save()
    ApprovalRequestFactory(model=ai_model)

    assert send_daily_digests(TODAY) == 2
    assert send_daily_digests(TODAY) == 0

    assert sorted(m.to[0] for m in mail.outbox) == sorted([model_owner.email, executive.email])
    digest = ReminderDigest.objects.get(user=model_owner, digest_date=TODAY)
    assert digest.sent_at is not None and digest.item_count == 1
    assert digest.items[0]["kind"] == MODEL_REVIEW and digest.items[0]["due"] == days(-2).isoformat()

    assert send_daily_digests(TODAY + timedelta(days=1)) == 2  # a new day, a new digest
    assert ReminderDigest.objects.filter(user=model_owner).count() == 2


def test_digest_email_groups_by_organisation_and_kind_with_html(
    organisation, ai_model, model_owner, executive
):
    ai_model.next_review_due = days(-4)
    ai_model.save()
    critical = KPIFactory(model=ai_model, name="AUC")
    measure(critical, 0.5)
    RiskFactory(model=ai_model, owner=model_owner, title="Drift", due_date=days(3))

    send_daily_digests(TODAY)

    (email,) = [m for m in mail.outbox if m.to == [model_owner.email]]
    assert email.subject == "[Plumbline] 3 reminders for 23 Nov 2026 (1 overdue)"
    body = email.body
    assert body.index(organisation.name) < body.index("KPIs in breach") < body.index("Model reviews")
    assert body.index("Model reviews") < body.index("Risk treatments")
    assert "OVERDUE by 4 days (due 2026-11-19)" in body
    assert "due 2026-11-26" in body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{django_settings.SITE_URL.rstrip("/")}/models/{ai_model.pk}/"' in html
    assert "overdue by 4 days" in html


def test_user_without_email_is_skipped_and_logged(organisation, ai_model, model_owner, caplog):
    model_owner.email = ""
    model_owner.save()
    ai_model.next_review_due = TODAY
    ai_model.save()

    with caplog.at_level(logging.WARNING, logger="governance.services.reminders"):
        assert send_daily_digests(TODAY) == 0

    assert not mail.outbox
    assert "has no email address" in caplog.text
    assert not ReminderDigest.objects.exists()


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def test_failed_send_leaves_an_unsent_digest_that_the_next_run_sends(settings, organisation, ai_model):
    ai_model.next_review_due = TODAY
    ai_model.save()
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    assert send_daily_digests(TODAY) == 0
    assert reminders.unsent_digest_count(TODAY) == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_daily_digests(TODAY) == 1
    assert reminders.unsent_digest_count(TODAY) == 0
    assert len(mail.outbox) == 1


def _data(organisation, owner, count: int) -> None:
    for n in range(count):
        model = AIModelFactory(organisation=organisation, owner=owner, next_review_due=days(n % 20 - 5))
        ComplianceRecordFactory(model=model, next_review_due=days(n % 20 - 5), reviewer=UserFactory())
        RiskFactory(model=model, owner=owner, due_date=days(n % 20 - 5))
        measure(KPIFactory(model=model), 0.5 + n % 2 * 0.4)
        ApprovalRequestFactory(model=model)


@pytest.mark.parametrize("count", [1, 20])
def test_collect_reminders_runs_a_constant_number_of_queries(
    organisation, model_owner, executive, risk_officer, count, django_assert_max_num_queries
):
    _data(organisation, model_owner, count)

    # Governance's seven (with the Statement of Applicability's reviews), and one per section other apps
    # registered (maturity's improvement actions).
    with django_assert_max_num_queries(7 + len(reminder_sources)):
        collected = collect_reminders(TODAY)

    assert len(collected[executive.pk]) == count  # every approval
    assert len(collected[model_owner.pk]) > count


def test_task_sends_the_digests_and_is_scheduled_daily(organisation, ai_model, model_owner):
    from config.celery import app
    from governance.tasks import send_reminder_digests

    ai_model.next_review_due = TODAY
    ai_model.save()

    assert send_reminder_digests.apply(kwargs={"day": TODAY.isoformat()}).get() == 1
    assert send_reminder_digests.apply(kwargs={"day": TODAY.isoformat()}).get() == 0
    assert len(mail.outbox) == 1

    entry = django_settings.CELERY_BEAT_SCHEDULE["send-reminder-digests"]
    assert entry["task"] in app.tasks
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {0})
    assert send_reminder_digests.acks_late


def test_task_retries_unsent_digests_then_gives_up(settings, organisation, ai_model):
    from governance.tasks import send_reminder_digests

    ai_model.next_review_due = TODAY
    ai_model.save()
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    # Eagerly applied, each retry runs at once; a mail server that stays down ends after max_retries.
    assert send_reminder_digests.apply(kwargs={"day": TODAY.isoformat()}).get() == 0
    assert reminders.unsent_digest_count(TODAY) == 1
