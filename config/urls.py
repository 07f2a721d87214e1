from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from governance.api.tokens import token_view
from governance.core.throttling import password_reset_view
from governance.views import accounts, core, public

api_v1 = [
    path("auth/token/", token_view, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("maturity.api_urls")),
    path("", include("governance.api.urls")),
]

urlpatterns = [
    path("healthz", core.healthz, name="healthz"),
    path("readyz", core.readyz, name="readyz"),
    path("verify/", public.verify_report, name="public-verify"),
    path("audit-keys/", public.audit_keys, name="audit-keys"),
    path("audit-keys/offline_verifier.py", public.audit_verifier, name="audit-verifier"),
    path("admin/", admin.site.urls),
    path("accounts/password_reset/", password_reset_view(), name="password_reset"),
    path("accounts/two-factor/", accounts.two_factor_verify, name="two-factor-verify"),
    path("accounts/two-factor/setup/", accounts.two_factor_setup, name="two-factor-setup"),
    path("accounts/two-factor/remove/", accounts.two_factor_remove, name="two-factor-remove"),
    path("accounts/oidc/", include("mozilla_django_oidc.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/", accounts.account, name="account"),
    path("account/tokens/new/", accounts.token_create, name="api-token-create"),
    path("account/tokens/<int:pk>/revoke/", accounts.token_revoke, name="api-token-revoke"),
    path("api/v1/", include(api_v1)),
    path("maturity/", include("maturity.urls")),
    path("", core.home, name="home"),
    path("organisations/switch/", core.switch_organisation, name="switch-organisation"),
    path("", include("governance.urls")),
]

# Pages get the HTML error pages, API paths JSON (governance.core.api.exceptions).
handler400 = core.bad_request
handler403 = core.permission_denied
handler404 = core.page_not_found
handler500 = core.server_error
