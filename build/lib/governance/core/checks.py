"""Start-up checks (``manage.py check`` and every server start): the vocabularies the code relies on hold."""

from django.core import checks

from governance.core.registry import report_kinds
from governance.core.roles import permission_table_problems


@checks.register()
def permission_table(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Every permission has its row of roles, so none is denied by a missing entry."""
    return [checks.Error(problem, id="governance.E001") for problem in permission_table_problems()]


@checks.register()
def report_kind_specs(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Every registered report kind names a template that exists and a subject field when it has a subject."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    errors = []
    for spec in report_kinds:
        try:
            get_template(spec.template)
        except TemplateDoesNotExist:
            errors.append(
                checks.Error(f"Report kind {spec.key!r}: no template {spec.template}.", id="governance.E002")
            )
        if spec.subject_model is not None and not spec.subject_field:
            errors.append(
                checks.Error(
                    f"Report kind {spec.key!r} has a subject model but no subject_field.",
                    id="governance.E003",
                )
            )
    return errors
