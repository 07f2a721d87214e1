"""Fixtures of the registry sync tests: one real MLflow tracking server per test process (never a mock)."""

import pytest

from governance.core.roles import Role
from governance.services.registry_sync import registry_connection_save
from tests.governance.integrations.mlflow_server import MLflowServer, MLflowUnavailable


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    try:
        server = MLflowServer(tmp_path_factory.mktemp("mlflow")).start()
    except MLflowUnavailable as exc:
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture
def mlflow(mlflow_server):
    """The server's REST helper, on an empty registry (the server lives for the whole session)."""
    mlflow_server.api.delete_all_models()
    return mlflow_server.api


@pytest.fixture
def registry_admin(make_member):
    return make_member(Role.ADMIN, username="registry-admin")


@pytest.fixture
def connection(mlflow_server, mlflow, organisation, registry_admin):
    """A connection of ``organisation`` to the test server, made by ``registry_admin``."""
    return registry_connection_save(
        actor=registry_admin,
        organisation=organisation,
        name="Test MLflow",
        tracking_url=mlflow_server.url,
        token="test-token-not-checked-by-the-server",
        champion_alias="champion",
        active=True,
    )
