from django.urls import path

from governance.views import audit, inventory, monitoring, reports

app_name = "governance"
urlpatterns: list = [
    path("models/", inventory.model_list, name="model-list"),
    path("models/export.csv", inventory.model_export, name="model-export"),
    path("models/import/", inventory.model_import, name="model-import"),
    path("models/new/", inventory.model_create, name="model-create"),
    path("models/<int:pk>/", inventory.model_detail, name="model-detail"),
    path("models/<int:pk>/edit/", inventory.model_edit, name="model-edit"),
    path("models/<int:pk>/stage/", inventory.model_stage_change, name="model-stage-change"),
    path("models/<int:pk>/promote/", inventory.model_promote, name="model-promote"),
    path("approvals/", inventory.approval_list, name="approval-list"),
    path("approvals/<int:pk>/decide/", inventory.approval_decide, name="approval-decide"),
    path("reports/", reports.report_list, name="report-list"),
    path("reports/status/", reports.report_status, name="report-status"),
    path("reports/verify/", reports.report_verify, name="report-verify"),
    path("reports/<int:pk>/download/", reports.report_download, name="report-download"),
    path("audit/", audit.audit_log, name="audit-log"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
    path("kpis/<int:pk>/", monitoring.kpi_detail, name="kpi-detail"),
]
