"""Fixtures shared by the governance record tests (risks, incidents, compliance); a test module may override them."""

import pytest

from governance.compliance_catalogue import load_all
from governance.models import Framework, LifecycleStage
from governance.services.monitoring import create_kpi
from governance.services.report_schedules import save_report_schedule
from tests.governance.inventory_factories import AIModelFactory


@pytest.fixture
def ai_model(organisation, model_owner):
    """A model of ``organisation`` owned by ``model_owner``."""
    return AIModelFactory(organisation=organisation, owner=model_owner, name="Retail credit scorecard")


@pytest.fixture
def auc(ai_model, model_owner):
    """An AUC KPI of ``ai_model`` (higher is better): target 0.85, warning below 0.8, critical below 0.7."""
    return create_kpi(
        actor=model_owner,
        model=ai_model,
        name="AUC",
        direction="higher",
        target=0.85,
        warning_threshold=0.8,
        critical_threshold=0.7,
    )


@pytest.fixture
def report_schedule(admin_user_member, organisation):
    """A monthly model inventory report of ``organisation``, emailed to an outside auditor."""
    return save_report_schedule(
        actor=admin_user_member,
        organisation=organisation,
        kind="model_inventory",
        frequency="monthly",
        recipients=["auditor@audit-firm.example"],
        attach_pdf=True,
        active=True,
    )


@pytest.fixture
def foreign_model(other_organisation, outsider):
    """A model of another organisation: every read of it must answer 404, every write be refused."""
    return AIModelFactory(organisation=other_organisation, owner=outsider, name="Foreign model")


@pytest.fixture
def frameworks(db) -> dict[str, Framework]:
    """The compliance catalogue (governance/data/frameworks/*.yaml) loaded: current frameworks by key."""
    load_all()
    return {f.key: f for f in Framework.objects.filter(is_current=True)}


@pytest.fixture
def high_risk(organisation, model_owner):
    """A high-risk production model of ``organisation``: most compliance requirements apply to it."""
    return AIModelFactory(
        organisation=organisation,
        owner=model_owner,
        name="Retail credit scorecard",
        eu_ai_act_category="high_risk",
        decisions_about_people="makes",
        lifecycle_stage=LifecycleStage.PRODUCTION,
    )


@pytest.fixture
def signing_key_file(settings, tmp_path):
    """An audit signing key of this test's own, configured as a production deployment configures it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from governance.core import signing

    path = tmp_path / "audit-key.pem"
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    settings.AUDIT_SIGNING_KEY = str(path)
    signing.signing_key.cache_clear()
    yield path
    signing.signing_key.cache_clear()
