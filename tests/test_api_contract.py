"""The API keeps its published contract: schemathesis generates requests from the OpenAPI document the app serves
(`/api/v1/schema/`) for every operation, sends them through the real WSGI stack with a read-and-write token of an
organisation admin, and runs all of its checks on every response (status codes and content types documented,
bodies valid against the schema, no 5xx, authentication enforced, bad input refused, …).

Bounded so that it fits in the suite: a fixed number of examples per operation, derandomised so that a failure
reproduces, and no time deadline per example (the database is real).

One check is relaxed, for writes only: schemathesis counts a 400 to a request the schema allows as a failure
("schema-valid request rejected"), but no schema can say that ``model: 7`` must name a model the caller may see,
or that a stage change must follow the lifecycle. A write refused with 400 must instead be a problem-details
object that says which field is wrong (``refusal_names_its_fields``). Reads keep the check: a query the schema
allows is answered (a filter naming no visible record selects nothing).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from governance.core.roles import Role

EXAMPLES_PER_OPERATION = 6


def _served_schema() -> dict:
    """The document `/api/v1/schema/` serves (the same generator, without a request)."""
    return SchemaGenerator().get_schema(request=None, public=True)


schema = schemathesis.openapi.from_dict(_served_schema())
schema.app = get_wsgi_application()


@schemathesis.check
def refusal_names_its_fields(ctx, response, case) -> None:
    """A 400 is an RFC 9457 problem whose ``errors`` map names the fields at fault (or, for a request that is
    wrong as a whole, whose ``detail`` says why)."""
    if response.status_code != 400:
        return
    content_type = {name.lower(): value for name, value in response.headers.items()}.get("content-type", [""])
    assert content_type[0].startswith("application/problem+json"), f"not a problem: {content_type}"
    problem = response.json()
    assert problem["status"] == 400 and problem["title"] and problem["detail"], problem
    errors = problem.get("errors")
    assert errors is None or (errors and all(messages for messages in errors.values())), problem


@pytest.fixture
def _connection_kept_across_requests():
    """A WSGI request closes the database connection when it ends; the test's transaction lives on that
    connection, so keep it open as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_headers(
    _connection_kept_across_requests, db, make_member, organisation, business_unit, api_client
) -> dict[str, str]:
    from governance.models import TokenScope
    from governance.services.accounts import issue_api_token

    admin = make_member(Role.ADMIN, username="contract-admin")
    token = issue_api_token(admin, name="contract", scope=TokenScope.READ_WRITE)[1]
    return {"Authorization": f"Token {token}"}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_the_contract(case, api_headers):
    relaxed = [positive_data_acceptance] if case.method.upper() != "GET" else []
    case.call_and_validate(
        headers=api_headers, excluded_checks=relaxed, additional_checks=[refusal_names_its_fields]
    )
