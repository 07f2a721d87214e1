"""The registry pages and connection service without a tracking server: who may do what, the write-only token, and
a registry that cannot be reached (recorded and shown, never a 500)."""

import pytest
from django.urls import reverse

from governance.core.audit import verify_chain
from governance.models import AuditEvent, RegistryConnection
from governance.models.actions import GovernanceAction
from governance.services.registry_sync import registry_connection_save, registry_sync
from tests.governance.integrations.mlflow_server import free_port

pytestmark = pytest.mark.django_db

TOKEN = "mlflow-token-4f1c9a7e2b"


@pytest.fixture
def connection(organisation, admin_user_member):
    return registry_connection_save(
        actor=admin_user_member,
        organisation=organisation,
        name="Core registry",
        tracking_url="https://mlflow.example.com/",
        token=TOKEN,
        champion_alias="champion",
        active=True,
    )


def _form(**overrides) -> dict:
    return {
        "name": "Research MLflow",
        "tracking_url": "https://mlflow-research.example.com",
        "token": TOKEN,
        "champion_alias": "champion",
        "active": "on",
        **overrides,
    }


def test_an_administrator_connects_a_registry_and_the_token_is_never_shown_back(
    login, organisation, admin_user_member
):
    client = login(admin_user_member)

    response = client.post(reverse("governance:registry-list"), _form())

    assert response.status_code == 302
    connection = RegistryConnection.objects.get(organisation=organisation, name="Research MLflow")
    assert connection.tracking_url == "https://mlflow-research.example.com"
    assert connection.token_encrypted and TOKEN not in connection.token_encrypted
    pages = [
        reverse("governance:registry-list"),
        reverse("governance:registry-edit", args=[connection.pk]),
        reverse("governance:audit-log"),
    ]
    for url in pages:
        page = client.get(url, follow=True)
        assert page.status_code == 200, url
        assert TOKEN not in page.content.decode(), url
        assert connection.token_encrypted not in page.content.decode(), url
    [event] = AuditEvent.objects.filter(action=GovernanceAction.REGISTRY_CONNECTION_CREATE)
    assert event.changes["token"] == [None, "(set)"]
    assert TOKEN not in str(event.changes) and "token_encrypted" not in event.changes


def test_editing_keeps_the_token_when_left_blank_and_removes_it_on_request(
    login, connection, admin_user_member
):
    client = login(admin_user_member)
    url = reverse("governance:registry-edit", args=[connection.pk])
    stored = connection.token_encrypted

    kept = {"name": "Core registry", "tracking_url": "https://mlflow.example.com", "token": ""}
    client.post(url, _form(**kept, champion_alias="prod"))
    connection.refresh_from_db()
    assert connection.token_encrypted == stored and connection.champion_alias == "prod"

    client.post(url, _form(**kept, champion_alias="prod", remove_token="on"))
    connection.refresh_from_db()
    assert connection.token_encrypted == ""
    last = (
        AuditEvent.objects.filter(action=GovernanceAction.REGISTRY_CONNECTION_UPDATE)
        .order_by("sequence")
        .last()
    )
    assert last.changes == {"token": ["(set)", "(removed)"]}
    assert not verify_chain(connection.organisation)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tracking_url", "ftp://mlflow.example.com", "valid http(s) URL"),
        ("tracking_url", "https://user:pw@mlflow.example.com", "Credentials in the URL"),
        ("champion_alias", "v3", "reserves"),
        ("champion_alias", "two words", "letters, digits"),
        ("token", "has space", "without spaces"),
    ],
)
def test_bad_input_is_refused_on_the_field(login, admin_user_member, field, value, message):
    response = login(admin_user_member).post(reverse("governance:registry-list"), _form(**{field: value}))

    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert not RegistryConnection.objects.exists()


def test_members_read_the_page_but_only_administrators_change_anything(login, connection, model_owner):
    client = login(model_owner)

    page = client.get(reverse("governance:registry-list"))
    assert page.status_code == 200 and "Core registry" in page.content.decode()
    assert "Connect a registry" not in page.content.decode()
    assert client.post(reverse("governance:registry-list"), _form()).status_code == 403
    assert client.get(reverse("governance:registry-edit", args=[connection.pk])).status_code == 403
    assert client.post(reverse("governance:registry-sync", args=[connection.pk])).status_code == 403


def test_another_organisations_connection_answers_404(login, connection, outsider):
    client = login(outsider)

    assert client.get(reverse("governance:registry-edit", args=[connection.pk])).status_code == 404
    assert client.post(reverse("governance:registry-sync", args=[connection.pk])).status_code == 404
    assert "Core registry" not in client.get(reverse("governance:registry-list")).content.decode()


def test_an_unreachable_registry_is_recorded_and_shown_not_raised(login, connection, admin_user_member):
    RegistryConnection.objects.filter(pk=connection.pk).update(tracking_url=f"http://127.0.0.1:{free_port()}")

    summary = registry_sync(connection=connection)

    assert summary is not None and summary.models_created == 0
    connection.refresh_from_db()
    assert connection.last_error.startswith("Could not connect to the MLflow server at http://127.0.0.1:")
    assert connection.last_synced_at is not None
    [event] = AuditEvent.objects.filter(action=GovernanceAction.REGISTRY_SYNC)
    assert event.changes["error"][1] == connection.last_error
    page = login(admin_user_member).get(reverse("governance:registry-list"))
    assert page.status_code == 200
    assert "Could not connect to the MLflow server" in page.content.decode()


def test_a_switched_off_connection_is_neither_synced_nor_offered_sync_now(
    login, connection, admin_user_member
):
    RegistryConnection.objects.filter(pk=connection.pk).update(active=False)

    assert registry_sync(connection=connection) is None
    client = login(admin_user_member)
    response = client.post(reverse("governance:registry-sync", args=[connection.pk]), follow=True)
    assert "switched off" in response.content.decode()


@pytest.mark.parametrize("count", [1, 8])
def test_the_list_page_runs_as_many_queries_at_any_size(
    login, organisation, admin_user_member, count, django_assert_max_num_queries
):
    for number in range(count):
        registry_connection_save(
            actor=admin_user_member,
            organisation=organisation,
            name=f"MLflow {number}",
            tracking_url=f"https://mlflow-{number}.example.com",
            token=TOKEN,
        )
    client = login(admin_user_member)
    client.get(reverse("governance:registry-list"))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("governance:registry-list")).status_code == 200


def _home_queries(client) -> int:
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("home"))
    with CaptureQueriesContext(db) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries)


def test_the_home_page_lists_flagged_models_in_one_query_at_any_size(
    login, organisation, model_owner, executive
):
    from django.utils import timezone

    from tests.governance.inventory_factories import AIModelFactory

    client = login(executive)
    unflagged = _home_queries(client)
    for number in range(2):
        AIModelFactory(
            organisation=organisation,
            owner=model_owner,
            name=f"Flagged {number}",
            unapproved_promotion_at=timezone.now(),
            unapproved_promotion_detail=f"The “champion” alias points to version {number + 2}.",
        )
    few = _home_queries(client)
    for number in range(2, 14):
        AIModelFactory(
            organisation=organisation,
            owner=model_owner,
            name=f"Flagged {number}",
            unapproved_promotion_at=timezone.now(),
        )
    many = _home_queries(client)

    assert few == many == unflagged + 1  # the list is read only when the inventory count says there is one
    page = client.get(reverse("home")).content.decode()
    assert "14 models are flagged in all" in page and "Flagged 13" in page
