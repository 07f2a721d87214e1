"""API lists read as rows (governance.core.api.rows) answer exactly what their serializer would."""

import json
from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from governance.api.inventory import AIModelSerializer
from governance.core.api.rows import row_plan
from governance.models import AIModel, BusinessUnit, EUAIActCategory, LifecycleStage
from tests.factories import UserFactory
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db

MODELS = "/api/v1/models/"


def test_the_model_list_answers_what_the_serializer_writes(api_client, organisation, model_owner, auditor):
    unit = BusinessUnit.objects.create(organisation=organisation, name="Retail")
    developers = UserFactory.create_batch(3)
    full = AIModelFactory(
        organisation=organisation,
        owner=model_owner,
        name="Credit scorer",
        business_unit=unit,
        lifecycle_stage=LifecycleStage.PRODUCTION,
        eu_ai_act_category=EUAIActCategory.HIGH_RISK,
        materiality=5,
        complexity=4,
        processes_personal_data=True,
        vendor="Acme Analytics",
        last_validated_on=date(2026, 3, 31),
        next_review_due=date(2027, 3, 31),
        risk_tier_override="tier_1",
        risk_tier_override_reason="Board decision.",
    )
    full.developers.set(developers[::-1])
    AIModelFactory(organisation=organisation, owner=model_owner, name="Bare model")  # nulls and defaults
    AIModelFactory(name="Someone else's")  # another organisation's: not listed

    response = api_client(auditor).get(MODELS)

    assert response.status_code == 200
    listed = response.json()
    assert listed["count"] == 2
    expected = AIModelSerializer(
        AIModel.objects.filter(organisation=organisation).order_by("name"), many=True
    ).data
    # Through the same JSON encoding: dates and times as DRF writes them, not as Python objects.
    expected = json.loads(JSONRenderer().render(expected))
    for item in expected:
        item["developers"].sort()  # the serializer's order is the database's; rows list them by id
    assert listed["results"] == expected
    by_name = {item["name"]: item for item in listed["results"]}
    assert by_name["Credit scorer"]["developers"] == sorted(user.pk for user in developers)
    assert (
        by_name["Credit scorer"]["business_unit"] == unit.pk
        and by_name["Bare model"]["business_unit"] is None
    )
    assert by_name["Credit scorer"]["last_validated_on"] == "2026-03-31"
    assert set(listed["results"][0]) == set(AIModelSerializer.Meta.fields)


def test_filters_and_pages_apply_to_rows(api_client, organisation, model_owner):
    AIModelFactory.create_batch(3, organisation=organisation, owner=model_owner)
    AIModelFactory(organisation=organisation, owner=model_owner, lifecycle_stage=LifecycleStage.PRODUCTION)

    client = api_client(model_owner)
    production = client.get(MODELS, {"lifecycle_stage": "production"}).json()
    second_page = client.get(MODELS, {"page": 2}).json()  # 50 a page: there is none
    bad_filter = client.get(MODELS, {"lifecycle_stage": "orbit"})

    assert production["count"] == 1 and production["results"][0]["lifecycle_stage"] == "production"
    assert client.get(MODELS, {"page": 2}).status_code == 404 and "detail" in second_page
    assert bad_filter.status_code == 400


def test_the_list_reads_a_page_in_the_same_queries_at_any_size(
    api_client, organisation, model_owner, django_assert_max_num_queries
):
    client = api_client(model_owner)
    AIModelFactory.create_batch(2, organisation=organisation, owner=model_owner)
    client.get(MODELS)  # the token's first use is written once

    # The token, the memberships, the count and the page (developers: in the page's statement on PostgreSQL,
    # one more query elsewhere).
    bound = 4 if connection.vendor == "postgresql" else 5
    with django_assert_max_num_queries(bound):
        assert client.get(MODELS).json()["count"] == 2
    for model in AIModelFactory.create_batch(60, organisation=organisation, owner=model_owner):
        model.developers.add(model_owner)
    with django_assert_max_num_queries(bound):
        assert len(client.get(MODELS).json()["results"]) == 50


def test_rows_write_dates_and_times_as_the_serializer_does_in_any_time_zone(organisation, model_owner):
    model = AIModelFactory(organisation=organisation, owner=model_owner, next_review_due=date(2027, 1, 31))
    model.developers.add(model_owner)
    plan = row_plan(AIModelSerializer)
    queryset = AIModel.objects.filter(pk=model.pk)

    for zone in ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"):
        with timezone.override(zone):
            (row,) = plan.represent(list(plan.read(queryset)))
            expected = AIModelSerializer(model).data
        assert row["created_at"] == expected["created_at"] and row["updated_at"] == expected["updated_at"]
        assert row["next_review_due"] == "2027-01-31" and row["developers"] == [model_owner.pk]
    assert row["created_at"].endswith("+05:30")


def test_a_query_string_without_filters_lists_everything_and_filters_still_bind(
    api_client, organisation, model_owner
):
    AIModelFactory(organisation=organisation, owner=model_owner, name="Churn forecaster")
    AIModelFactory(organisation=organisation, owner=model_owner, name="Fraud detector")
    client = api_client(model_owner)

    unfiltered = client.get(MODELS, {"page": 1, "unknown": "x"}).json()
    searched = client.get(MODELS, {"q": "fraud"}).json()
    exact = client.get(MODELS, {"name": "Churn forecaster"}).json()
    refused = client.get(MODELS, {"kpi_status": "purple"})

    assert unfiltered["count"] == 2
    assert [item["name"] for item in searched["results"]] == ["Fraud detector"]
    assert [item["name"] for item in exact["results"]] == ["Churn forecaster"]
    assert refused.status_code == 400  # a filter's parameter is still validated


def test_a_serializer_a_row_cannot_answer_is_refused_when_the_plan_is_built():
    class Nested(serializers.ModelSerializer):
        owner = serializers.StringRelatedField()

        class Meta:
            model = AIModel
            fields = ["id", "owner"]

    class Dotted(serializers.ModelSerializer):
        organisation_name = serializers.CharField(source="organisation.name")

        class Meta:
            model = AIModel
            fields = ["id", "organisation_name"]

    for serializer_class in (Nested, Dotted):
        with pytest.raises(ImproperlyConfigured):
            row_plan(serializer_class)
