from rest_framework.routers import DefaultRouter

from maturity import api as maturity_api

router = DefaultRouter()
router.register("questionnaires", maturity_api.QuestionnaireViewSet, basename="questionnaire")
router.register("assessments", maturity_api.AssessmentViewSet, basename="assessment")
router.register(
    "reassessment-schedules", maturity_api.ReassessmentScheduleViewSet, basename="reassessment-schedule"
)

urlpatterns = router.urls
