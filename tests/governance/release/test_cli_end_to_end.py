"""The `plumbline` command line against a running Plumbline (the live server), as a pipeline runs it: register a
version, ask the gate (denied), complete the records, ask again (allowed), record the deployment, post KPIs."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from governance.models import Deployment, DeploymentCheck, KPIMeasurement, TokenScope
from governance.services import inventory as inventory_services
from governance.services import release as release_services
from governance.services.accounts import issue_api_token
from governance.services.monitoring import create_kpi
from governance.services.risks import create_risk
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db(transaction=True)


def plumbline(url: str, token: str, *args: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("plumbline")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "governance.cli"]
    return subprocess.run(
        [*command, *args],
        env={**os.environ, "PLUMBLINE_URL": url, "PLUMBLINE_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_pipeline_registers_asks_the_gate_and_records_its_deployment(
    live_server, tmp_path, organisation, model_owner, risk_officer, validator
):
    model = AIModelFactory(
        organisation=organisation, owner=model_owner, name="Mortgage affordability", risk_tier="high"
    )
    token = issue_api_token(model_owner, name="GitLab pipeline", scope=TokenScope.READ_WRITE)[1]
    url = live_server.url

    registered = plumbline(
        url,
        token,
        "register-version",
        "--model",
        model.name,
        "--version",
        "1.0.0",
        "--artifact-uri",
        "s3://models/mortgage/1.0.0",
        "--code-commit",
        "4f2a9c1",
        "--training-data",
        "s3://data/mortgage/2026-10",
        "--metrics",
        '{"auc": 0.83}',
    )
    assert registered.returncode == 0, registered.stderr
    assert "Registered Mortgage affordability 1.0.0" in registered.stdout

    denied = plumbline(url, token, "gate", "--model", model.name, "--version", "1.0.0", "--env", "production")
    assert denied.returncode == 1, denied.stderr
    assert "FAIL  stage_approved" in denied.stdout and "DENIED" in denied.stdout
    assert "FAIL  validation_approved" in denied.stdout

    # The records a release needs, then the approvals (by people other than the owner).
    version = model.versions.get(version="1.0.0")
    today = timezone.localdate()
    create_risk(
        actor=risk_officer,
        organisation=organisation,
        model=model,
        title="Affordability bias",
        category="fairness",
        likelihood=4,
        impact=4,
        mitigation="Reject-inference review",
        owner=risk_officer,
    )
    create_kpi(
        actor=model_owner, model=model, name="AUC", direction="higher", target=0.8, warning_threshold=0.75
    )
    release_services.record_validation(
        actor=validator,
        version=version,
        scope=["data", "performance"],
        started_on=today - timedelta(days=9),
        completed_on=today - timedelta(days=1),
        outcome="approved",
    )
    stage = inventory_services.request_stage_change(
        actor=model_owner, model=model, stage="production", justification="Validated."
    )
    inventory_services.decide_approval(actor=risk_officer, request=stage, approve=True)
    promotion = inventory_services.request_promotion(
        actor=model_owner, version=version, justification="First."
    )
    inventory_services.decide_approval(actor=risk_officer, request=promotion, approve=True)

    allowed = plumbline(
        url, token, "gate", "--model", model.name, "--version", "1.0.0", "--env", "production"
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "ALLOWED" in allowed.stdout and "FAIL" not in allowed.stdout
    assert DeploymentCheck.objects.filter(model=model).count() == 2

    started = plumbline(
        url,
        token,
        "record-deployment",
        "--model",
        model.name,
        "--version",
        "1.0.0",
        "--env",
        "production",
        "--strategy",
        "canary",
        "--run-url",
        "https://gitlab.example.com/ml/mortgage/-/pipelines/812",
    )
    assert started.returncode == 0, started.stderr
    deployment = Deployment.objects.get()
    assert (deployment.strategy, deployment.without_approval, deployment.gate_decision.allowed) == (
        "canary",
        False,
        True,
    )
    finished = plumbline(url, token, "record-deployment", "--id", str(deployment.pk), "--status", "succeeded")
    assert finished.returncode == 0 and "is succeeded" in finished.stdout

    measurements = tmp_path / "kpis.csv"
    measurements.write_text(
        "kpi,measured_at,value,source\n"
        f"AUC,{(timezone.now() - timedelta(hours=2)).isoformat()},0.82,pipeline\n"
        f"AUC,{(timezone.now() - timedelta(hours=1)).isoformat()},0.81,pipeline\n"
    )
    posted = plumbline(url, token, "post-kpis", str(measurements), "--model", model.name)
    assert posted.returncode == 0, posted.stderr
    assert KPIMeasurement.objects.filter(kpi__model=model).count() == 2
    kpi = model.kpis.get(name="AUC")
    assert (kpi.latest_value, kpi.latest_status) == (0.81, "ok")


def test_the_cli_says_what_is_wrong_and_never_shows_a_traceback(
    live_server, organisation, model_owner, tmp_path
):
    AIModelFactory(organisation=organisation, owner=model_owner, name="Churn")
    token = issue_api_token(model_owner, name="ci", scope=TokenScope.READ_WRITE)[1]
    cases = [
        (
            live_server.url,
            "not-a-token",
            ["gate", "--model", "Churn", "--version", "1", "--env", "test"],
            "token was refused",
        ),
        (
            live_server.url,
            token,
            ["gate", "--model", "Nope", "--version", "1", "--env", "test"],
            "No model 'Nope'",
        ),
        (
            live_server.url,
            token,
            ["gate", "--model", "Churn", "--version", "9.9", "--env", "test"],
            "no version '9.9'",
        ),
        (
            "http://127.0.0.1:9",
            token,
            ["gate", "--model", "Churn", "--version", "1", "--env", "test"],
            "Cannot reach",
        ),
        (
            live_server.url,
            token,
            ["post-kpis", str(tmp_path / "missing.csv"), "--model", "Churn"],
            "Cannot read",
        ),
    ]
    for url, credential, args, message in cases:
        result = plumbline(url, credential, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
