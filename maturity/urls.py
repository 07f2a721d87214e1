from django.urls import path

from maturity import views

app_name = "maturity"
urlpatterns: list = [
    path("", views.dashboard, name="dashboard"),
    path("assessments/", views.assessment_list, name="assessment-list"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment-detail"),
    path("assessments/<int:pk>/factors/<slug:factor_key>/", views.answer_factor, name="answer-factor"),
    path(
        "assessments/<int:pk>/evidence/<slug:question_key>/",
        views.assessment_evidence,
        name="assessment-evidence",
    ),
    path(
        "assessments/<int:pk>/answers/<slug:question_key>/autosave/",
        views.autosave_answer,
        name="autosave-answer",
    ),
    path("assessments/<int:pk>/results/", views.results, name="results"),
    path("assessments/<int:pk>/answers.csv", views.answers_export, name="answers-export"),
    path(
        "assessments/<int:pk>/answers.xlsx",
        views.answers_export,
        {"export_format": "xlsx"},
        name="answers-export-xlsx",
    ),
    path(
        "assessments/<int:pk>/roadmap/<slug:question_key>/adopt/",
        views.adopt,
        name="adopt",
    ),
    path("actions/", views.action_list, name="action-list"),
    path("actions/<int:pk>/", views.action_update, name="action-update"),
    path("assessments/<int:pk>/submit/", views.submit, name="submit"),
    path("assessments/<int:pk>/approve/", views.approve, name="approve"),
    path("assessments/<int:pk>/return/", views.return_to_draft, name="return"),
    path("compare/", views.compare, name="compare"),
    path("assessments/<int:pk>/targets/", views.assessment_targets, name="assessment-targets"),
    path("targets/", views.organisation_targets, name="targets"),
    path("schedules/", views.schedule_list, name="schedule-list"),
    path("schedules/<int:pk>/run/", views.schedule_run, name="schedule-run"),
]
