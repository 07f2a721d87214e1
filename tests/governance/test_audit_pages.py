"""The audit log page, its CSV export and the read-only audit API."""

import csv
import io

import pytest
from django.urls import reverse

from governance.core.audit import GENESIS_HASH, record_event
from governance.models.actions import GovernanceAction

pytestmark = pytest.mark.django_db


def _events(organisation, actor, count: int, obj=None):
    obj = obj or organisation
    for i in range(count):
        record_event(
            organisation=organisation,
            actor=actor,
            action=GovernanceAction.MODEL_UPDATE if i % 2 else GovernanceAction.MODEL_CREATE,
            obj=obj,
            changes={"name": [f"old {i}", f"new {i}"]},
            object_repr=f"Model {i}",
        )


def test_auditor_sees_events_newest_first_with_changes(login, auditor, admin_user_member, organisation):
    _events(organisation, admin_user_member, 3)
    response = login(auditor).get(reverse("governance:audit-log"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Model 2") < html.index("Model 1") < html.index("Model 0")
    assert "old 1" in html and "new 1" in html and "org-admin" in html


def test_filters_narrow_the_log(login, auditor, admin_user_member, organisation):
    _events(organisation, admin_user_member, 4)
    response = login(auditor).get(reverse("governance:audit-log"), {"action": "model.create", "q": "model 2"})
    html = response.content.decode()
    assert "Model 2" in html and "Model 0" not in html and "Model 1" not in html


def test_bad_date_filter_is_a_form_error_not_a_crash(login, auditor):
    response = login(auditor).get(reverse("governance:audit-log"), {"date_from": "not-a-date"})
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


def test_auditor_exports_csv_that_reverifies(login, auditor, admin_user_member, organisation):
    _events(organisation, admin_user_member, 3)
    response = login(auditor).get(reverse("governance:audit-export"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(r["sequence"]) for r in rows] == [3, 2, 1]
    by_sequence = {int(r["sequence"]): r for r in rows}
    assert by_sequence[1]["prev_hash"] == GENESIS_HASH
    assert by_sequence[2]["prev_hash"] == by_sequence[1]["hash"]
    assert by_sequence[3]["prev_hash"] == by_sequence[2]["hash"]


def test_export_honours_filters(login, auditor, admin_user_member, organisation):
    _events(organisation, admin_user_member, 4)
    response = login(auditor).get(reverse("governance:audit-export"), {"action": "model.update"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["action"] for r in rows} == {"model.update"} and len(rows) == 2


def test_model_owner_is_forbidden(login, model_owner):
    client = login(model_owner)
    assert client.get(reverse("governance:audit-log")).status_code == 403
    assert client.get(reverse("governance:audit-export")).status_code == 403


def test_outsider_sees_nothing_of_the_organisation(
    login, outsider, admin_user_member, organisation, other_organisation, api_client
):
    _events(organisation, admin_user_member, 2)
    _events(other_organisation, outsider, 1, obj=other_organisation)
    html = login(outsider).get(reverse("governance:audit-log")).content.decode()
    assert "Model 0" in html and "Model 1" not in html  # only its own org's single event
    body = api_client(outsider).get("/api/v1/audit-events/").json()
    assert [e["organisation"] for e in body["results"]] == [other_organisation.pk]
    event_id = organisation.audit_events.first().pk
    assert api_client(outsider).get(f"/api/v1/audit-events/{event_id}/").status_code == 404


def test_api_lists_filters_and_hides_from_roles_without_audit_view(
    api_client, auditor, model_owner, admin_user_member, organisation
):
    _events(organisation, admin_user_member, 4)
    body = api_client(auditor).get("/api/v1/audit-events/", {"action": "model.create"}).json()
    assert body["count"] == 2
    assert {"sequence", "hash", "prev_hash", "changes"} <= set(body["results"][0])
    assert api_client(model_owner).get("/api/v1/audit-events/").json()["count"] == 0
    assert api_client(auditor).post("/api/v1/audit-events/", {}).status_code == 405


@pytest.mark.parametrize("count", [10, 300])
def test_page_query_count_is_bounded(
    login, auditor, admin_user_member, organisation, count, django_assert_max_num_queries
):
    from tests.factories import BusinessUnitFactory
    from tests.governance.inventory_factories import AIModelFactory

    _events(organisation, admin_user_member, count)
    # Events naming other records (a unit, a person): their names are looked up once per kind, not per event.
    model = AIModelFactory(organisation=organisation)
    for number in range(count // 10):
        unit = BusinessUnitFactory(organisation=organisation, name=f"Unit {number}")
        record_event(
            organisation=organisation,
            actor=admin_user_member,
            action=GovernanceAction.MODEL_UPDATE,
            obj=model,
            changes={"business_unit": [None, unit.pk], "owner": [None, admin_user_member.pk]},
        )
    client = login(auditor)
    # Session, user, memberships; the filters' people and record types (3); the page (2); the names of the
    # records the changes refer to, every kind in one statement (1); the last verification and checkpoint (2).
    with django_assert_max_num_queries(11):
        response = client.get(reverse("governance:audit-log"))
    assert response.status_code == 200


# --- A log people read ------------------------------------------------------------------------------------


@pytest.fixture
def scorecard(organisation, model_owner):
    from tests.governance.inventory_factories import AIModelFactory

    model_owner.first_name, model_owner.last_name = "Omar", "Owner"
    model_owner.save()
    return AIModelFactory(organisation=organisation, owner=model_owner, name="Retail credit scorecard")


def test_each_event_reads_as_a_sentence_with_names_labels_and_dates(
    login, auditor, model_owner, scorecard, business_unit
):
    from governance.services import inventory

    inventory.request_stage_change(actor=model_owner, model=scorecard, stage="development")
    inventory.request_stage_change(
        actor=model_owner, model=scorecard, stage="validation", justification="Ready for validation."
    )
    inventory.update_model(
        actor=model_owner, model=scorecard, business_unit=business_unit, next_review_due=None
    )
    html = login(auditor).get(reverse("governance:audit-log")).content.decode()
    assert "Omar Owner moved Retail credit scorecard from Proposed to Development" in html
    assert "Omar Owner requested Stage change → Validation for Retail credit scorecard" in html
    assert "Omar Owner updated the model Retail credit scorecard" in html
    # The diff: field labels, the unit's name instead of its id, folded away under the summary.
    assert "<details>" in html
    assert '<th scope="row">Business unit</th><td>—</td><td>Retail Banking' in html
    assert '<th scope="row">business_unit</th>' not in html
    assert "Lifecycle stage" in html


def test_filters_are_drop_downs_of_people_actions_and_record_types(
    login, auditor, model_owner, admin_user_member, scorecard
):
    from governance.services import inventory

    inventory.request_stage_change(actor=model_owner, model=scorecard, stage="development")
    _events(scorecard.organisation, admin_user_member, 2)
    client = login(auditor)
    html = client.get(reverse("governance:audit-log")).content.decode()
    assert '<select name="actor"' in html and '<option value="omar' not in html
    assert f'<option value="{model_owner.username}">Omar Owner</option>' in html
    assert '<option value="model.stage_change">Model: stage change</option>' in html
    assert '<option value="governance.aimodel">AI model</option>' in html
    assert 'type="date"' in html
    narrowed = client.get(
        reverse("governance:audit-log"), {"actor": model_owner.username, "object_type": "governance.aimodel"}
    ).content.decode()
    assert "moved Retail credit scorecard" in narrowed and "Model 0" not in narrowed
    assert client.get(reverse("governance:audit-log"), {"actor": "nobody"}).status_code == 400


def test_the_integrity_status_comes_from_the_last_verification_not_the_page_view(
    login, auditor, admin_user_member, organisation, django_assert_max_num_queries
):
    from governance.core.audit import record_verification
    from governance.tasks import verify_audit_trails

    _events(organisation, admin_user_member, 3)
    client = login(auditor)
    assert "Not verified yet" in client.get(reverse("governance:audit-log")).content.decode()
    assert verify_audit_trails() == 0
    html = client.get(reverse("governance:audit-log")).content.decode()
    assert "Chain verified</span> to #3 (3 events)" in html
    from datetime import timedelta

    from django.utils import timezone

    from governance.models import AuditVerification

    AuditVerification.objects.update(verified_at=timezone.now() - timedelta(hours=3))
    assert "Verification stale" in client.get(reverse("governance:audit-log")).content.decode()
    # A break found by the next run shows at once, with what it is.
    from tests.governance.audit_helpers import tamper

    tamper(
        "UPDATE governance_auditevent SET object_repr = 'x' WHERE organisation_id = %s AND sequence = 2",
        [organisation.pk],
    )
    verification = record_verification(organisation)
    assert not verification.intact and verification.problem_count == 1
    html = client.get(reverse("governance:audit-log")).content.decode()
    assert "Integrity problem" in html and "event #2: content does not match its hash" in html
    page = client.get(reverse("governance:audit-integrity")).content.decode()
    assert "Problems found" in page


def test_csv_export_neutralises_formulas_in_every_user_cell_and_declares_utf8(
    login, auditor, admin_user_member, organisation
):
    for text in ('=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "Zoë"):
        record_event(
            organisation=organisation,
            actor=admin_user_member,
            action=GovernanceAction.MODEL_UPDATE,
            obj=organisation,
            changes={"name": [None, text]},
            object_repr=text,
        )
    response = login(auditor).get(reverse("governance:audit-export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)
    reprs = {row["object_repr"] for row in rows}
    assert '\'=HYPERLINK("http://evil")' in reprs and "Zoë" in reprs and "'\tTab" in reprs
    assert all(len(row["hash"]) == 64 and len(row["prev_hash"]) == 64 for row in rows)
