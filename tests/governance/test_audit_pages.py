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
    _events(organisation, admin_user_member, count)
    client = login(auditor)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("governance:audit-log"))
    assert response.status_code == 200
