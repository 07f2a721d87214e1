from django.urls import path

from governance.views import applicability, audit, inventory, monitoring, reports
from governance.views import branding as branding_views
from governance.views import compliance as compliance_views
from governance.views import incidents as incident_views
from governance.views import model_cards as model_card_views
from governance.views import registries as registry_views
from governance.views import release as release_views
from governance.views import report_schedules as schedule_views
from governance.views import risks as risk_views
from governance.views import technical_documentation as technical_documentation_views
from governance.views import webhooks as webhook_views

app_name = "governance"
urlpatterns: list = [
    path("models/", inventory.model_list, name="model-list"),
    path("models/lookup/", inventory.model_lookup, name="model-lookup"),
    path("models/export.csv", inventory.model_export, name="model-export"),
    path("models/export.xlsx", inventory.model_export, {"export_format": "xlsx"}, name="model-export-xlsx"),
    path("models/import/", inventory.model_import, name="model-import"),
    path("models/new/", inventory.model_create, name="model-create"),
    path("models/<int:pk>/", inventory.model_detail, name="model-detail"),
    path("models/<int:pk>/edit/", inventory.model_edit, name="model-edit"),
    path(
        "models/<int:pk>/versions/export.csv", inventory.model_versions_export, name="model-versions-export"
    ),
    path(
        "models/<int:pk>/versions/export.xlsx",
        inventory.model_versions_export,
        {"export_format": "xlsx"},
        name="model-versions-export-xlsx",
    ),
    path("models/<int:pk>/stage/", inventory.model_stage_change, name="model-stage-change"),
    path("models/<int:pk>/promote/", inventory.model_promote, name="model-promote"),
    path("approvals/", inventory.approval_list, name="approval-list"),
    path("approvals/<int:pk>/", release_views.approval_detail, name="approval-detail"),
    path("release-policy/", release_views.release_policy, name="release-policy"),
    path("models/<int:pk>/validations/new/", release_views.validation_create, name="validation-create"),
    path("validations/<int:pk>/evidence/", release_views.validation_evidence, name="validation-evidence"),
    path("validations/<int:pk>/findings/new/", release_views.finding_create, name="finding-create"),
    path("findings/<int:pk>/status/", release_views.finding_status, name="finding-status"),
    path("approvals/<int:pk>/decide/", inventory.approval_decide, name="approval-decide"),
    path("reports/", reports.report_list, name="report-list"),
    path("reports/status/", reports.report_status, name="report-status"),
    path("reports/verify/", reports.report_verify, name="report-verify"),
    path("reports/<int:pk>/download/", reports.report_download, name="report-download"),
    path("reports/schedules/", schedule_views.schedule_list, name="report-schedule-list"),
    path("reports/schedules/new/", schedule_views.schedule_create, name="report-schedule-create"),
    path("reports/schedules/<int:pk>/edit/", schedule_views.schedule_edit, name="report-schedule-edit"),
    path("reports/schedules/<int:pk>/delete/", schedule_views.schedule_delete, name="report-schedule-delete"),
    path("reports/schedules/<int:pk>/run/", schedule_views.schedule_run, name="report-schedule-run"),
    path("reports/branding/", branding_views.report_branding, name="report-branding"),
    path("reports/branding/logo/", branding_views.report_branding_logo, name="report-branding-logo"),
    path("audit/", audit.audit_log, name="audit-log"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
    path("audit/export.xlsx", audit.audit_export, {"export_format": "xlsx"}, name="audit-export-xlsx"),
    path("audit/integrity/", audit.audit_integrity, name="audit-integrity"),
    path("audit/bundles/", audit.bundle_request, name="audit-bundle-request"),
    path("audit/bundles/<int:pk>/download/", audit.bundle_download, name="audit-bundle-download"),
    path("kpis/<int:pk>/", monitoring.kpi_detail, name="kpi-detail"),
    path("models/<int:pk>/kpis/new/", monitoring.kpi_create, name="kpi-create"),
    path("kpis/<int:pk>/edit/", monitoring.kpi_edit, name="kpi-edit"),
    path("kpis/<int:pk>/delete/", monitoring.kpi_delete, name="kpi-delete"),
    path("kpis/<int:pk>/measure/", monitoring.kpi_measure, name="kpi-measure"),
    path("kpis/<int:pk>/export.csv", monitoring.kpi_export, name="kpi-export"),
    path(
        "kpis/<int:pk>/export.xlsx", monitoring.kpi_export, {"export_format": "xlsx"}, name="kpi-export-xlsx"
    ),
    path("risks/", risk_views.risk_heatmap, name="risk-heatmap"),
    path("risks/export.csv", risk_views.risk_export, name="risk-export"),
    path("risks/export.xlsx", risk_views.risk_export, {"export_format": "xlsx"}, name="risk-export-xlsx"),
    path("risks/<int:pk>/", risk_views.risk_detail, name="risk-detail"),
    path("models/<int:pk>/risks/new/", risk_views.risk_create, name="risk-create"),
    path("risks/<int:pk>/edit/", risk_views.risk_edit, name="risk-edit"),
    path("risks/<int:pk>/delete/", risk_views.risk_delete, name="risk-delete"),
    path("incidents/", incident_views.incident_list, name="incident-list"),
    path("incidents/export.csv", incident_views.incident_export, name="incident-export"),
    path(
        "incidents/export.xlsx",
        incident_views.incident_export,
        {"export_format": "xlsx"},
        name="incident-export-xlsx",
    ),
    path("incidents/<int:pk>/", incident_views.incident_detail, name="incident-detail"),
    path("models/<int:pk>/incidents/new/", incident_views.incident_create, name="incident-create"),
    path("incidents/<int:pk>/edit/", incident_views.incident_edit, name="incident-edit"),
    path("incidents/<int:pk>/delete/", incident_views.incident_delete, name="incident-delete"),
    path("compliance/", compliance_views.compliance_overview, name="compliance-overview"),
    path("compliance/statement-of-applicability/", applicability.statement, name="applicability"),
    path(
        "compliance/statement-of-applicability/export.csv",
        applicability.statement_export,
        name="applicability-export",
    ),
    path(
        "compliance/statement-of-applicability/export.xlsx",
        applicability.statement_export,
        {"export_format": "xlsx"},
        name="applicability-export-xlsx",
    ),
    path(
        "compliance/statement-of-applicability/controls/<int:requirement_pk>/edit/",
        applicability.control_edit,
        name="applicability-control-edit",
    ),
    path(
        "compliance/statement-of-applicability/evidence/<int:pk>/",
        applicability.applicability_evidence,
        name="applicability-evidence",
    ),
    path(
        "compliance/statement-of-applicability/issue/",
        applicability.statement_issue,
        name="applicability-issue",
    ),
    path(
        "compliance/statement-of-applicability/changes/", applicability.issued_diff, name="applicability-diff"
    ),
    path(
        "compliance/statement-of-applicability/issues/<int:number>/",
        applicability.issued_detail,
        name="applicability-issued",
    ),
    path(
        "compliance/statement-of-applicability/issues/<int:number>/pdf/",
        applicability.issued_pdf,
        name="applicability-issued-pdf",
    ),
    path(
        "compliance/statement-of-applicability/issues/<int:number>/export.csv",
        applicability.issued_export,
        name="applicability-issued-export",
    ),
    path(
        "compliance/statement-of-applicability/issues/<int:number>/export.xlsx",
        applicability.issued_export,
        {"export_format": "xlsx"},
        name="applicability-issued-export-xlsx",
    ),
    path(
        "compliance/<slug:framework_key>/", compliance_views.compliance_framework, name="compliance-framework"
    ),
    path(
        "compliance/<slug:framework_key>/export.csv",
        compliance_views.compliance_framework_export,
        name="compliance-framework-export",
    ),
    path(
        "compliance/<slug:framework_key>/export.xlsx",
        compliance_views.compliance_framework_export,
        {"export_format": "xlsx"},
        name="compliance-framework-export-xlsx",
    ),
    path(
        "compliance/records/<int:pk>/evidence/",
        compliance_views.compliance_evidence,
        name="compliance-evidence",
    ),
    path(
        "models/<int:pk>/compliance/<slug:framework_key>/",
        compliance_views.compliance_model,
        name="compliance-model",
    ),
    path(
        "models/<int:pk>/compliance/requirements/<int:requirement_pk>/edit/",
        compliance_views.compliance_record_edit,
        name="compliance-record-edit",
    ),
    path("models/versions/lookup/", model_card_views.version_lookup, name="model-version-lookup"),
    path("models/<int:pk>/versions/<int:version_pk>/card/", model_card_views.model_card, name="model-card"),
    path(
        "models/<int:pk>/versions/<int:version_pk>/card/edit/",
        model_card_views.model_card_edit,
        name="model-card-edit",
    ),
    path(
        "models/<int:pk>/versions/<int:version_pk>/card.md",
        model_card_views.model_card_markdown,
        name="model-card-markdown",
    ),
    path(
        "models/<int:pk>/technical-documentation/",
        technical_documentation_views.technical_documentation,
        name="technical-documentation",
    ),
    path(
        "models/<int:pk>/technical-documentation/edit/",
        technical_documentation_views.technical_documentation_edit,
        name="technical-documentation-edit",
    ),
    path(
        "models/<int:pk>/technical-documentation/history/<slug:field>/",
        technical_documentation_views.technical_documentation_history,
        name="technical-documentation-history",
    ),
]

# Webhooks (governance.views.webhooks).
urlpatterns += [
    path("integrations/webhooks/", webhook_views.webhook_list, name="webhook-list"),
    path("integrations/webhooks/<int:pk>/edit/", webhook_views.webhook_edit, name="webhook-edit"),
    path("integrations/webhooks/<int:pk>/delete/", webhook_views.webhook_delete, name="webhook-delete"),
    path(
        "integrations/webhooks/<int:pk>/rotate-secret/",
        webhook_views.webhook_rotate_secret,
        name="webhook-rotate-secret",
    ),
    path("integrations/webhooks/<int:pk>/test/", webhook_views.webhook_test, name="webhook-test"),
    path("integrations/webhooks/<int:pk>/enable/", webhook_views.webhook_enable, name="webhook-enable"),
    path(
        "integrations/webhooks/<int:pk>/deliveries/",
        webhook_views.webhook_deliveries,
        name="webhook-deliveries",
    ),
    path(
        "integrations/webhooks/deliveries/<int:pk>/redeliver/",
        webhook_views.webhook_redeliver,
        name="webhook-redeliver",
    ),
]

# MLflow model registries (governance.views.registries).
urlpatterns += [
    path("integrations/registries/", registry_views.registry_list, name="registry-list"),
    path("integrations/registries/<int:pk>/edit/", registry_views.registry_edit, name="registry-edit"),
    path("integrations/registries/<int:pk>/sync/", registry_views.registry_sync_now, name="registry-sync"),
]
