from django.urls import path
from rest_framework.routers import DefaultRouter

from governance.api import audit, inventory, monitoring, reports
from governance.api import compliance as compliance_api
from governance.api import incidents as incident_api
from governance.api import model_cards as model_card_api
from governance.api import organisations as organisation_api
from governance.api import release as release_api
from governance.api import report_schedules as report_schedule_api
from governance.api import risks as risk_api

router = DefaultRouter()
router.register("organisations", organisation_api.OrganisationViewSet, basename="api-organisation")
router.register("models", inventory.AIModelViewSet, basename="api-model")
router.register("approval-requests", inventory.ApprovalRequestViewSet, basename="api-approval-request")
router.register("reports", reports.ReportViewSet, basename="api-report")
router.register("report-schedules", report_schedule_api.ReportScheduleViewSet, basename="api-report-schedule")

router.register("audit-events", audit.AuditEventViewSet, basename="api-audit-event")

router.register("kpis", monitoring.KPIDefinitionViewSet, basename="api-kpi")
router.register("risks", risk_api.RiskViewSet, basename="api-risk")
router.register("incidents", incident_api.IncidentViewSet, basename="api-incident")
router.register("frameworks", compliance_api.FrameworkViewSet, basename="api-framework")
router.register(
    "compliance-records", compliance_api.ComplianceRecordViewSet, basename="api-compliance-record"
)

router.register("validations", release_api.ValidationViewSet, basename="api-validation")
router.register("validation-findings", release_api.FindingViewSet, basename="api-validation-finding")
router.register("deployment-checks", release_api.DeploymentCheckViewSet, basename="api-deployment-check")
router.register("deployments", release_api.DeploymentViewSet, basename="api-deployment")

urlpatterns = [
    path("me/", organisation_api.MeView.as_view(), name="api-me"),
    path("release-policy/", release_api.ReleasePolicyView.as_view(), name="api-release-policy"),
    path(
        "models/<int:model_id>/versions/<str:version>/card/",
        model_card_api.ModelCardView.as_view(),
        name="api-model-card",
    ),
    path(
        "models/<int:model_id>/versions/<str:version>/card.md",
        model_card_api.ModelCardMarkdownView.as_view(),
        name="api-model-card-markdown",
    ),
    *router.urls,
]
