"""The model page pages through its version and approval histories: a pipeline registers a version per run."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import ApprovalRequest, ApprovalStatus, ModelVersion, VersionStatus
from governance.selectors.inventory import PROMOTION_CHOICES
from tests.governance.test_inventory_pages import DETAIL_QUERIES

VERSIONS = 60
APPROVALS = 30


def _versions(model, count, **extra) -> list[ModelVersion]:
    """``count`` versions "r000".. registered a minute apart, the last one newest."""
    versions = ModelVersion.objects.bulk_create(
        [ModelVersion(model=model, version=f"r{i:03d}", **extra) for i in range(count)]
    )
    start = timezone.now() - timedelta(days=1)
    for i, version in enumerate(versions):
        version.registered_at = start + timedelta(minutes=i)
    # bulk_update writes the times as given (auto_now_add stamped them all at creation).
    ModelVersion.objects.bulk_update(versions, ["registered_at"])
    return versions


def _approvals(model, requester, count) -> list[ApprovalRequest]:
    """``count`` rejected stage-change requests "Request 000".. a minute apart, the last one newest."""
    approvals = ApprovalRequest.objects.bulk_create(
        [
            ApprovalRequest(
                organisation=model.organisation,
                model=model,
                kind="stage_change",
                requested_stage="validation",
                requested_by=requester,
                justification=f"Request {i:03d}",
                status=ApprovalStatus.REJECTED,
            )
            for i in range(count)
        ]
    )
    start = timezone.now() - timedelta(days=1)
    for i, approval in enumerate(approvals):
        approval.requested_at = start + timedelta(minutes=i)
    ApprovalRequest.objects.bulk_update(approvals, ["requested_at"])
    return approvals


@pytest.fixture
def long_history(ai_model, model_owner):
    _versions(ai_model, VERSIONS)
    _approvals(ai_model, model_owner, APPROVALS)
    return ai_model


def _detail(client, model, **params):
    response = client.get(reverse("governance:model-detail", args=[model.pk]), params)
    assert response.status_code == 200
    return response


def _shown(response) -> tuple[list[str], list[str]]:
    versions = [v.version for v in response.context["versions"]]
    approvals = [a.justification for a in response.context["approvals"]]
    return versions, approvals


def test_first_page_shows_the_newest_twenty_of_each(login, model_owner, long_history):
    response = _detail(login(model_owner), long_history)
    versions, approvals = _shown(response)
    assert versions == [f"r{i:03d}" for i in range(59, 39, -1)]
    assert approvals == [f"Request {i:03d}" for i in range(29, 9, -1)]
    page = response.content.decode()
    for section in ("versions", "approvals"):  # the rows of the table and its header row, nothing more
        table = page[page.index(f'id="{section}"') :]
        table = table[: table.index("</table>")]
        assert table.count("<tr>") == 20 + 1, section
    assert "60 versions, newest first." in page and "30 requests, newest first." in page
    assert 'href="?versions_page=2#versions"' in page
    assert 'href="?approvals_page=2#approvals"' in page
    assert "Page 1 of 3" in page and "Page 1 of 2" in page


def test_last_pages_hold_the_oldest_and_links_keep_the_other_table_page(login, model_owner, long_history):
    response = _detail(login(model_owner), long_history, versions_page=3, approvals_page=2)
    versions, approvals = _shown(response)
    assert versions[-1] == "r000" and len(versions) == 20
    assert approvals[-1] == "Request 000" and len(approvals) == 10
    page = response.content.decode()
    # Paging one table keeps the other where it is.
    assert 'href="?approvals_page=2&amp;versions_page=2#versions"' in page
    assert 'href="?versions_page=3&amp;approvals_page=1#approvals"' in page
    assert 'aria-label="Version pages"' in page and 'aria-label="Approval history pages"' in page


@pytest.mark.parametrize(
    ("number", "expected_page"),
    [("abc", 1), ("1.5", 1), ("", 1), ("0", 3), ("-2", 3), ("999", 3), ("99999999999999999999", 3)],
)
def test_a_garbage_or_out_of_range_page_number_shows_a_page(
    login, model_owner, long_history, number, expected_page
):
    response = _detail(login(model_owner), long_history, versions_page=number, approvals_page=number)
    assert response.context["versions"].number == expected_page
    assert response.context["approvals"].number == min(expected_page, 2)


def test_query_bound_holds_on_any_page_of_a_long_history(
    login, model_owner, ai_model, django_assert_max_num_queries
):
    _versions(ai_model, 2000)
    _approvals(ai_model, model_owner, 700)
    client = login(model_owner)
    for params in ({}, {"versions_page": 50, "approvals_page": 20}, {"versions_page": 100}):
        with django_assert_max_num_queries(DETAIL_QUERIES):
            response = _detail(client, ai_model, **params)
        versions, approvals = _shown(response)
        assert len(versions) == 20 and len(approvals) == 20
    assert versions[-1] == "r000"


def test_a_model_without_history_says_so(login, model_owner, ai_model):
    page = _detail(login(model_owner), ai_model).content.decode()
    assert "No versions registered yet." in page and "No approval requests yet." in page
    assert 'class="pagination"' not in page


def test_promotion_offers_only_the_most_recent_candidates(login, model_owner, ai_model):
    versions = _versions(ai_model, VERSIONS)
    ModelVersion.objects.filter(pk=versions[-1].pk).update(status=VersionStatus.CHAMPION)
    response = _detail(login(model_owner), ai_model)
    field = response.context["promotion_form"]["version"]
    offered = [str(label) for value, label in field.field.choices if value]
    # The champion takes no place: the candidates r009..r058, newest first.
    assert len(offered) == PROMOTION_CHOICES
    assert offered[0].endswith("r058") and offered[-1].endswith("r009")
    assert f"The {PROMOTION_CHOICES} most recent candidate versions" in response.content.decode()


def test_promotion_refuses_a_version_not_offered(login, model_owner, ai_model):
    versions = _versions(ai_model, VERSIONS)
    client = login(model_owner)
    url = reverse("governance:model-promote", args=[ai_model.pk])
    response = client.post(url, {"version": versions[0].pk, "justification": "The oldest is best."})
    assert response.status_code == 400
    assert "only the 50 most recent candidates can be promoted here" in response.content.decode()
    assert not ApprovalRequest.objects.exists()

    response = client.post(url, {"version": versions[-1].pk, "justification": "Higher AUC."})
    assert response.status_code == 302
    assert ApprovalRequest.objects.get().version == versions[-1]


def test_no_promotion_form_without_a_candidate(login, model_owner, ai_model):
    _versions(ai_model, 2, status=VersionStatus.RETIRED)
    page = _detail(login(model_owner), ai_model).content.decode()
    assert "Request a promotion to champion" not in page
