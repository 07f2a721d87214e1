"""Maturity REST API: every endpoint, role and tenant denials, bad input, schema and token auth."""

import pytest

from governance.models import AuditEvent
from maturity import services
from maturity.models import Answer, Assessment, AssessmentStatus
from tests.factories import PASSWORD, BusinessUnitFactory
from tests.maturity.conftest import FACTOR_KEYS, answer, build_questionnaire

pytestmark = pytest.mark.django_db

BASE = "/api/v1/assessments/"


def all_answers(level=3) -> list[dict]:
    return [answer(f"{key}-q{i}", level) for key in FACTOR_KEYS for i in (1, 2)]


def submitted(assessment, assessor):
    services.save_answers(actor=assessor, assessment=assessment, answers=all_answers())
    return services.submit_assessment(actor=assessor, assessment=assessment)


def test_token_auth_and_anonymous_denied(api_client, assessor, assessment):
    response = api_client().post("/api/v1/auth/token/", {"username": "assessor", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert api_client().get(BASE).status_code in (401, 403)
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(BASE).json()["count"] == 1
    bad = api_client().post("/api/v1/auth/token/", {"username": "assessor", "password": "wrong"})
    assert bad.status_code == 400


def test_schema_loads_and_documents_assessment_paths(api_client, auditor):
    response = api_client(auditor).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/assessments/",
        "/api/v1/assessments/{id}/",
        "/api/v1/assessments/{id}/answers/",
        "/api/v1/assessments/{id}/submit/",
        "/api/v1/assessments/{id}/approve/",
        "/api/v1/assessments/{id}/return/",
        "/api/v1/assessments/{id}/scores/",
        "/api/v1/questionnaires/current/",
    ):
        assert path in paths


def test_questionnaires_list_detail_and_current(
    api_client, auditor, questionnaire, django_assert_max_num_queries
):
    older = build_questionnaire(version="old", is_current=False)
    client = api_client(auditor)
    with django_assert_max_num_queries(8):
        listing = client.get("/api/v1/questionnaires/")
    assert listing.status_code == 200
    assert listing.json()["count"] == 2
    current = client.get("/api/v1/questionnaires/current/").json()
    assert current["id"] == questionnaire.pk
    assert [f["key"] for f in current["factors"]] == list(FACTOR_KEYS)
    question = current["factors"][0]["questions"][0]
    assert question["key"] == "strategy-q1"
    assert [lvl["name"] for lvl in question["levels"]][:2] == ["Absent", "Initial / ad hoc"]
    assert question["levels"][3]["descriptor"] == "strategy-q1: level 3"
    assert client.get(f"/api/v1/questionnaires/{older.pk}/").json()["version"] == "old"


def test_current_questionnaire_missing_is_404(api_client, auditor):
    assert api_client(auditor).get("/api/v1/questionnaires/current/").status_code == 404


def test_list_is_scoped_and_filterable(
    api_client, assessor, organisation, business_unit, outsider, other_organisation, questionnaire
):
    services.create_assessment(actor=assessor, organisation=organisation, title="Group")
    services.create_assessment(
        actor=assessor, organisation=organisation, title="Unit", business_unit=business_unit
    )
    services.create_assessment(actor=outsider, organisation=other_organisation, title="Theirs")
    client = api_client(assessor)
    assert {a["title"] for a in client.get(BASE).json()["results"]} == {"Group", "Unit"}
    by_unit = client.get(BASE, {"business_unit": business_unit.pk}).json()["results"]
    assert [a["title"] for a in by_unit] == ["Unit"]
    assert client.get(BASE, {"status": "approved"}).json()["count"] == 0
    assert client.get(BASE, {"status": "nonsense"}).status_code == 400
    assert client.get(BASE, {"organisation": organisation.pk}).json()["count"] == 2
    assert [a["title"] for a in api_client(outsider).get(BASE).json()["results"]] == ["Theirs"]


def test_create_with_targets(api_client, assessor, organisation, business_unit, questionnaire):
    response = api_client(assessor).post(
        BASE,
        {
            "organisation": organisation.pk,
            "title": "Spring review",
            "business_unit": business_unit.pk,
            "targets": {"strategy": 4.5},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["targets"]["strategy"] == 4.5 and body["targets"]["modeling"] == 3.0
    assert body["progress"] == {"answered": 0, "total": 10, "percent": 0}
    assert body["created_by"] == "assessor"
    assert Assessment.objects.get(pk=body["id"]).business_unit == business_unit


def test_create_bad_input_is_400(api_client, assessor, organisation, other_organisation, questionnaire):
    client = api_client(assessor)
    response = client.post(
        BASE, {"organisation": organisation.pk, "title": "", "targets": {"strategy": 9}}, format="json"
    )
    assert response.status_code == 400
    assert {"title", "targets.strategy"} <= set(response.json()["errors"])
    unknown = client.post(
        BASE, {"organisation": organisation.pk, "title": "x", "targets": {"nope": 1}}, format="json"
    )
    assert unknown.status_code == 400 and "nope" in unknown.json()["errors"]
    foreign_unit = BusinessUnitFactory(organisation=other_organisation)
    response = client.post(
        BASE, {"organisation": organisation.pk, "title": "x", "business_unit": foreign_unit.pk}, format="json"
    )
    assert response.status_code == 400 and "business_unit" in response.json()["errors"]
    assert client.post(BASE, "not json", content_type="application/json").status_code == 400


def test_create_denied_for_wrong_role_and_outsider(
    api_client, auditor, outsider, organisation, questionnaire
):
    payload = {"organisation": organisation.pk, "title": "x"}
    assert api_client(auditor).post(BASE, payload, format="json").status_code == 403
    response = api_client(outsider).post(BASE, payload, format="json")
    assert response.status_code in (400, 404)
    assert not Assessment.objects.exists()


def test_retrieve_shows_progress_and_hides_other_orgs(api_client, assessor, outsider, assessment):
    services.save_answers(actor=assessor, assessment=assessment, answers=[answer("strategy-q1", 2)])
    body = api_client(assessor).get(f"{BASE}{assessment.pk}/").json()
    assert body["progress"] == {"answered": 1, "total": 10, "percent": 10}
    assert api_client(outsider).get(f"{BASE}{assessment.pk}/").status_code == 404
    assert api_client(outsider).get(f"{BASE}{assessment.pk}/scores/").status_code == 404
    assert api_client(outsider).post(f"{BASE}{assessment.pk}/answers/", [], format="json").status_code == 404


def test_patch_targets(api_client, assessor, auditor, assessment):
    url = f"{BASE}{assessment.pk}/"
    response = api_client(assessor).patch(url, {"targets": {"governance": 4}}, format="json")
    assert response.status_code == 200
    assert response.json()["targets"]["governance"] == 4.0
    assert api_client(assessor).patch(url, {"targets": {"governance": 6}}, format="json").status_code == 400
    assert api_client(auditor).patch(url, {"targets": {"governance": 1}}, format="json").status_code == 403
    assert api_client(assessor).put(url, {"targets": {}}, format="json").status_code == 405


def test_bulk_answers_and_read_back(api_client, assessor, assessment, django_assert_max_num_queries):
    client = api_client(assessor)
    url = f"{BASE}{assessment.pk}/answers/"
    payload = [
        answer(
            "strategy-q1", 4, comment="Board-approved", evidence_links=["https://wiki.example/ml-strategy"]
        ),
        answer("strategy-q2", None, not_applicable=True, not_applicable_reason="No external models"),
    ]
    response = client.post(url, payload, format="json")
    assert response.status_code == 200 and response.json() == {"saved": 2}
    with django_assert_max_num_queries(6):
        answers = client.get(url).json()
    assert [a["question"] for a in answers] == ["strategy-q1", "strategy-q2"]
    assert answers[0]["evidence_links"] == ["https://wiki.example/ml-strategy"]
    assert answers[1]["not_applicable"] is True and answers[1]["level"] is None


def test_bulk_answers_errors_keyed_by_question_and_nothing_saved(api_client, assessor, assessment):
    response = api_client(assessor).post(
        f"{BASE}{assessment.pk}/answers/",
        [answer("strategy-q1", 2), answer("strategy-q2", 7), answer("ghost-q9", 1)],
        format="json",
    )
    assert response.status_code == 400
    body = response.json()["errors"]
    assert set(body) == {"strategy-q2", "ghost-q9"}
    assert "between 0 and 5" in body["strategy-q2"][0]
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{"not": "a list"}, "text", [1, 2], [{"question": "strategy-q1", "level": "high"}], [{"level": 2}]],
)
def test_malformed_answer_payloads_are_400(api_client, assessor, assessment, payload):
    response = api_client(assessor).post(f"{BASE}{assessment.pk}/answers/", payload, format="json")
    assert response.status_code == 400


def test_auditor_may_read_but_not_answer(api_client, auditor, assessment):
    client = api_client(auditor)
    assert client.get(f"{BASE}{assessment.pk}/answers/").status_code == 200
    response = client.post(f"{BASE}{assessment.pk}/answers/", [answer("strategy-q1", 1)], format="json")
    assert response.status_code == 403


def test_submit_incomplete_is_400_then_complete_workflow(api_client, assessor, executive, assessment):
    client = api_client(assessor)
    incomplete = client.post(f"{BASE}{assessment.pk}/submit/")
    assert incomplete.status_code == 400
    assert "10 questions are not answered" in incomplete.json()["errors"]["answers"][0]
    client.post(f"{BASE}{assessment.pk}/answers/", all_answers(2), format="json")
    response = client.post(f"{BASE}{assessment.pk}/submit/")
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    assert response.json()["overall_score"] == 2.0

    assert client.post(f"{BASE}{assessment.pk}/approve/").status_code == 403  # assessor role
    approved = api_client(executive).post(f"{BASE}{assessment.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["approved_by"] == "executive"

    late = client.post(f"{BASE}{assessment.pk}/answers/", [answer("strategy-q1", 5)], format="json")
    assert late.status_code == 409
    assert (
        client.patch(f"{BASE}{assessment.pk}/", {"targets": {"strategy": 1}}, format="json").status_code
        == 409
    )
    assert api_client(executive).post(f"{BASE}{assessment.pk}/approve/").status_code == 409


def test_submitter_may_not_approve_via_api(api_client, admin_user_member, assessment):
    submitted(assessment, admin_user_member)
    response = api_client(admin_user_member).post(f"{BASE}{assessment.pk}/approve/")
    assert response.status_code == 403
    assert "Separation of duties" in response.json()["detail"]
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED


def test_return_with_and_without_reason(api_client, assessor, executive, assessment):
    submitted(assessment, assessor)
    client = api_client(executive)
    assert client.post(f"{BASE}{assessment.pk}/return/", {}, format="json").status_code == 400
    response = client.post(f"{BASE}{assessment.pk}/return/", {"reason": "Add evidence"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "draft" and response.json()["returned_reason"] == "Add evidence"
    assert AuditEvent.objects.filter(action="assessment.return").count() == 1
    assert (
        client.post(f"{BASE}{assessment.pk}/return/", {"reason": "Again"}, format="json").status_code == 409
    )


def test_scores(api_client, assessor, auditor, assessment):
    services.update_targets(actor=assessor, assessment=assessment, targets={"strategy": 4})
    services.save_answers(
        actor=assessor, assessment=assessment, answers=[answer("strategy-q1", 1), answer("strategy-q2", 3)]
    )
    body = api_client(auditor).get(f"{BASE}{assessment.pk}/scores/").json()
    assert body["overall"] == 2.0 and body["level_name"] == "Repeatable"
    assert (body["answered"], body["total"]) == (2, 10)
    strategy = body["factors"][0]
    assert strategy["key"] == "strategy" and strategy["gap"] == 2.0
    assert body["factors"][1]["score"] is None and body["factors"][1]["level_name"] == "Not assessed"
    assert [item["question_key"] for item in body["roadmap"]] == ["strategy-q1", "strategy-q2"]
    assert body["roadmap"][0]["recommended_action"] == "strategy-q1: level 2"
    # Horizons: no effort known (a questionnaire without actions) plans an item within 6 months.
    assert {(item["horizon"], item["horizon_name"], item["effort"]) for item in body["roadmap"]} == {
        (1, "Within 6 months", "")
    }
    assert body["roadmap"][0]["waits_for"] == []
    assert body["roadmap_rule"].startswith("Priority is the factor's gap to its target")
