"""The model page reads its release facts together with what it shows, and the checks see the same facts."""

from datetime import timedelta

from django.utils import timezone

from governance.models import ReleaseTarget
from governance.selectors import release as selectors
from governance.selectors.inventory import release_candidates
from governance.services import release as services
from tests.governance.inventory_factories import ModelVersionFactory


def test_checks_see_an_older_validation_of_the_version_beyond_the_latest_shown(
    new_high_risk_model, validator, django_assert_num_queries
):
    model = new_high_risk_model
    today = timezone.localdate()
    released = model.versions.get()
    old = services.record_validation(
        actor=validator,
        version=released,
        scope=["data"],
        started_on=today - timedelta(days=200),
        completed_on=today - timedelta(days=190),
        outcome="approved_with_conditions",
    )
    services.add_finding(actor=validator, validation=old, title="Leakage", severity="high")
    services.add_finding(actor=validator, validation=old, title="Docs", severity="low")
    for days in range(3):
        later = ModelVersionFactory(model=model, version=f"0.9.{days}")
        services.record_validation(
            actor=validator, version=later, scope=["data"], started_on=today - timedelta(days=days)
        )
    model.versions.exclude(pk=released.pk).update(status="retired")

    candidates = release_candidates(model)
    assert candidates == [released]
    with django_assert_num_queries(2):  # the validations, and their findings
        rows = selectors.validations_for_model_page(model, released, shown=2)
    assert [v.started_on for v in rows[:2]] == [today, today - timedelta(days=1)]
    assert rows[-1].pk == old.pk

    on_page = selectors.readiness(
        model, ReleaseTarget.PRODUCTION, released, validations=rows, version_resolved=True
    )
    read_alone = selectors.readiness(model, ReleaseTarget.PRODUCTION)
    assert on_page == read_alone
    # The old validation's open high finding is what fails the findings check, on the page as alone.
    failing = {o.name: o.message for o in on_page.outcomes if o.failed}
    assert failing["validation_findings_closed"] == "1 validation finding of high severity still open."
