"""Documents regulators and auditors ask for, kept as records so they are never retyped.

- ``ControlApplicability``: the organisation's Statement of Applicability entry for one ISO/IEC 42001 Annex A
  control, and ``IssuedStatement``: a frozen, hashed copy of the whole statement when it is issued.
- ``TechnicalDocumentation``: the free-text parts of a high-risk model's EU AI Act Annex IV documentation (the
  rest is read from the system of record when the document is shown), with ``TechnicalDocumentationRevision``
  keeping every earlier text.
- ``ModelCard``: the model card of one model version.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Concat


class ImplementationStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    PLANNED = "planned", "Planned"
    PARTIAL = "partial", "Partially implemented"
    IMPLEMENTED = "implemented", "Implemented"


class ControlApplicability(models.Model):
    """Whether one Annex A control applies to the organisation, why, and how far it is implemented."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="control_applicability"
    )
    requirement = models.ForeignKey(
        "governance.Requirement", on_delete=models.PROTECT, related_name="applicability"
    )
    # The control's citation, copied from the requirement (immutable per catalogue version) so naming an entry in
    # a list or the audit log never needs a join.
    ref = models.CharField(max_length=40)
    # None until someone decides: an undecided control is shown as such, never as "not applicable".
    applicable = models.BooleanField(null=True, blank=True)
    justification = models.TextField(
        blank=True, help_text="Why the control is included or excluded (required either way)."
    )
    implementation_status = models.CharField(
        max_length=12, choices=ImplementationStatus.choices, default=ImplementationStatus.NOT_STARTED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    evidence_file = models.FileField(upload_to="evidence/%Y/%m/", blank=True, max_length=255)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    evidence_link = models.URLField(blank=True, max_length=500)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation", "requirement__position"]
        verbose_name = "statement of applicability entry"
        verbose_name_plural = "statement of applicability entries"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "requirement"], name="unique_control_applicability"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "next_review_due"])]

    def __str__(self) -> str:
        return f"SoA {self.ref}"

    @staticmethod
    def str_sql() -> models.Expression:
        """``str(record)`` in SQL (governance.core.naming)."""
        return Concat(models.Value("SoA "), models.F("ref"), output_field=models.CharField())


class IssuedStatement(models.Model):
    """A Statement of Applicability as issued: every entry frozen in ``entries``, hashed, numbered per organisation.

    Later edits never change it, so this year's statement can be compared with last year's.
    """

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="issued_statements"
    )
    framework = models.ForeignKey("governance.Framework", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(
        max_length=300, blank=True, help_text="e.g. “Annual review before the surveillance audit”."
    )
    # One object per control, in catalogue order: ref, section, title, applicable, justification, status,
    # owner, evidence_link, evidence_file, evidence_sha256, reviewed_at, next_review_due.
    entries = models.JSONField(default=list)
    # SHA-256 of the canonical JSON of ``entries``: what the audit event and the PDF cite.
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["organisation", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="unique_issued_statement_number"),
        ]

    def __str__(self) -> str:
        return f"Statement of Applicability, issue {self.number}"

    @staticmethod
    def str_sql() -> models.Expression:
        """``str(record)`` in SQL (governance.core.naming)."""
        return Concat(
            models.Value("Statement of Applicability, issue "),
            models.F("number"),
            output_field=models.CharField(),
        )


class TechnicalDocumentation(models.Model):
    """The texts of a model's Annex IV technical documentation that no other record holds.

    ``texts`` maps the free-text field keys of the Annex IV outline (governance/data/annex_iv/) to their current
    text; facts the system of record holds (inventory, versions, validations, risks, KPIs…) are read when shown.
    """

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="technical_documentation"
    )
    model = models.OneToOneField(
        "governance.AIModel", on_delete=models.CASCADE, related_name="technical_documentation"
    )
    texts = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation", "model"]
        verbose_name_plural = "technical documentation"

    def __str__(self) -> str:
        return f"Technical documentation of model #{self.model_id}"


class TechnicalDocumentationRevision(models.Model):
    """One saved text of one free-text field: the field's history, newest last."""

    document = models.ForeignKey(TechnicalDocumentation, on_delete=models.CASCADE, related_name="revisions")
    field = models.CharField(max_length=60)
    text = models.TextField(blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    edited_at = models.DateTimeField()

    class Meta:
        ordering = ["document", "field", "-edited_at", "-pk"]
        indexes = [models.Index(fields=["document", "field", "-edited_at"])]

    def __str__(self) -> str:
        return f"{self.field} at {self.edited_at:%Y-%m-%d %H:%M}"


class ModelCard(models.Model):
    """The model card of one version (Mitchell et al., "Model Cards for Model Reporting"), posted by its pipeline
    or written on the page. The version's metrics are shown beside ``quantitative_analyses``, never copied."""

    organisation = models.ForeignKey(
        "governance.Organisation", on_delete=models.CASCADE, related_name="model_cards"
    )
    version = models.OneToOneField("governance.ModelVersion", on_delete=models.CASCADE, related_name="card")
    intended_use = models.TextField(blank=True)
    out_of_scope_uses = models.TextField(blank=True)
    factors = models.TextField(
        blank=True, help_text="Groups, environments and conditions the model is evaluated across."
    )
    metrics = models.TextField(blank=True, help_text="Which measures are reported and why they were chosen.")
    evaluation_data = models.TextField(blank=True)
    training_data = models.TextField(blank=True)
    quantitative_analyses = models.TextField(blank=True)
    ethical_considerations = models.TextField(blank=True)
    caveats_and_recommendations = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation", "version"]
        indexes = [models.Index(fields=["organisation", "-updated_at"])]

    def __str__(self) -> str:
        return f"Model card of version #{self.version_id}"
