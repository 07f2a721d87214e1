"""Factories for the model inventory tests."""

import factory

from governance.models import AIModel, ModelVersion
from tests.factories import OrganisationFactory, UserFactory


class AIModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIModel

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Model {n:04d}")
    purpose = "Scores loan applications."
    owner = factory.SubFactory(UserFactory)


class ModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelVersion

    model = factory.SubFactory(AIModelFactory)
    version = factory.Sequence(lambda n: f"1.{n}.0")
