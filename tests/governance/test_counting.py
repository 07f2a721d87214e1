"""A short list's rows and its total come in one query at any size (governance.selectors.counting)."""

import pytest

from governance.models import AIModel
from governance.selectors.counting import first_rows_with_total
from tests.governance.inventory_factories import AIModelFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [0, 3, 12])
def test_the_first_rows_and_the_total_in_one_query(
    organisation, model_owner, count, django_assert_num_queries
):
    AIModelFactory.create_batch(count, organisation=organisation, owner=model_owner)
    AIModelFactory(owner=model_owner)  # another organisation's: neither listed nor counted
    models = AIModel.objects.filter(organisation=organisation).select_related("owner").order_by("-name")

    with django_assert_num_queries(1):
        rows, total = first_rows_with_total(models, 5)

    assert total == count
    assert rows == list(models[:5])
    assert all(row.owner == model_owner for row in rows)  # select_related kept for the rows
