"""A record's ``str()`` as a SQL expression, so one query can name records of many kinds.

A model that defines ``str_sql()`` (a static method returning an expression equal to ``str(record)``) is named
in SQL; the audit log unions such expressions to name everything its page refers to in one statement. A test
compares each expression with ``__str__``.
"""

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim


def person_name_sql() -> models.Expression:
    """``user.get_full_name() or user.get_username()`` of Django's user model."""
    full_name = Trim(Concat(F("first_name"), Value(" "), F("last_name"), output_field=CharField()))
    return Coalesce(NullIf(full_name, Value("")), F("username"), output_field=CharField())


def choice_label_sql(field: str, choices: type[models.Choices], empty: str) -> models.Expression:
    """``get_FIELD_display()`` of a choices field, ``empty`` where it is blank."""
    return models.Case(
        *(models.When(**{field: value}, then=Value(str(label))) for value, label in choices.choices),
        default=Value(empty),
        output_field=CharField(),
    )


def name_sql(model: type[models.Model]) -> models.Expression | None:
    """How to name ``model``'s records in SQL, or None when only ``str()`` can."""
    if model is get_user_model():
        return person_name_sql()
    str_sql = getattr(model, "str_sql", None)
    return str_sql() if str_sql is not None else None
