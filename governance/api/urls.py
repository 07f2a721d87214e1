from rest_framework.routers import DefaultRouter

from governance.api import audit, inventory, monitoring, reports

router = DefaultRouter()
router.register("models", inventory.AIModelViewSet, basename="api-model")
router.register("approval-requests", inventory.ApprovalRequestViewSet, basename="api-approval-request")
router.register("reports", reports.ReportViewSet, basename="api-report")

router.register("audit-events", audit.AuditEventViewSet, basename="api-audit-event")

router.register("kpis", monitoring.KPIDefinitionViewSet, basename="api-kpi")

urlpatterns = router.urls
