import pytest

from tests.oidc_helpers import RP_CLIENT_ID, RP_CLIENT_SECRET, OIDCProvider

CALLBACK_PATH = "/accounts/oidc/callback/"


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory, live_server):
    """One real provider per test process; it sends people back to the test client and to the live server."""
    provider = OIDCProvider(
        tmp_path_factory.mktemp("oidc"),
        redirect_uris=[f"http://testserver{CALLBACK_PATH}", f"{live_server.url}{CALLBACK_PATH}"],
    ).start()
    yield provider
    provider.stop()


@pytest.fixture
def single_sign_on(settings, oidc_provider, organisation):
    """Plumbline configured for the provider, with a group map into ``organisation``."""
    from governance.accounts.oidc import forget_discovery

    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = RP_CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = RP_CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_GROUP_ROLES = (
        f"model-risk={organisation.slug}:risk_officer, ml-platform-admins={organisation.slug}:admin,"
        f" internal-audit={organisation.slug}:auditor"
    )
    forget_discovery()
    yield oidc_provider
    forget_discovery()
