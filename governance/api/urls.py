from rest_framework.routers import DefaultRouter

from governance.api import inventory, reports

router = DefaultRouter()
router.register("models", inventory.AIModelViewSet, basename="api-model")
router.register("approval-requests", inventory.ApprovalRequestViewSet, basename="api-approval-request")
router.register("reports", reports.ReportViewSet, basename="api-report")

urlpatterns = router.urls
