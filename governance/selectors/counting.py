"""A short list's rows and its total in one statement, so a page runs as many queries at any size.

"The first five, and how many there are" as two queries costs one query more once the list is full (issue 13:
the home page ran 15 queries on the demo and 16 at 10,000 models). Here the total is an uncorrelated scalar
subquery of the rows' statement, which the database evaluates once.
"""

from django.db.models import Count, Model, QuerySet, Subquery, Value


def first_rows_with_total(queryset: QuerySet, limit: int) -> tuple[list[Model], int]:
    """The first ``limit`` records of ``queryset`` (in its order) and the number of records in it."""
    # values() of a constant and an aggregate, without GROUP BY: one row, the whole queryset's count.
    whole = queryset.order_by().select_related(None).annotate(whole=Value(1)).values("whole")
    total = Subquery(whole.annotate(total=Count("pk")).values("total"))
    rows = list(queryset.annotate(total_of_list=total)[:limit])
    return rows, (rows[0].total_of_list if rows else 0)


def count_subquery(queryset: QuerySet) -> Subquery:
    """How many records ``queryset`` holds, as a scalar subquery another statement can carry (NULL for none)."""
    whole = queryset.order_by().select_related(None).annotate(whole=Value(1)).values("whole")
    return Subquery(whole.annotate(total=Count("pk")).values("total"))
