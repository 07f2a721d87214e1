"""Django admin works for every model: each registered changelist opens for a superuser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory


@pytest.mark.django_db
def test_every_admin_changelist_opens(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def test_every_plumbline_model_is_in_the_admin():
    from django.apps import apps

    missing = [
        model._meta.label
        for app in ("governance", "maturity")
        for model in apps.get_app_config(app).get_models()
        if model not in admin.site._registry
    ]
    assert missing == []
