from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from governance.core.api.auth import obtain_auth_token
from governance.core.throttling import password_reset_view
from governance.views import core

api_v1 = [
    path("auth/token/", obtain_auth_token, name="api-token"),
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
    path("admin/", admin.site.urls),
    path("accounts/password_reset/", password_reset_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
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
