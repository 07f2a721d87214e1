"""API lists read as rows: one ``.values()`` query per page, represented by the serializer's own fields.

A ModelSerializer builds its fields anew for every request and walks every attribute of every model instance;
for a page of 50 models that was about two thirds of the request's CPU (issue 13: 54 requests/s on 2 cores).
A list view with ``RowListMixin`` instead

- reads the page as dictionaries (``.values()`` of exactly the serialized columns, no model instances),
- reads many-to-many primary keys with one query on the through table for the whole page, and
- turns each value into JSON with the ``to_representation`` of the serializer's field, built once per class,

so a list answers the same JSON as the serializer would (tests/governance/test_api_rows.py compares them field
by field) at a fraction of the cost. Only plain fields are supported: model fields, primary-key relations (one or
many) and ``SerializerMethodField`` methods that read serialized columns. Anything else is refused when the plan
is built, never served wrong.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from rest_framework import relations, serializers
from rest_framework.request import Request
from rest_framework.response import Response


@dataclass(frozen=True)
class _Column:
    name: str  # the key in the JSON
    column: str  # the key in the row
    represent: Callable[[Any], Any] | None  # None: the value as read (a primary key)


@dataclass(frozen=True)
class _Many:
    name: str
    through: type[models.Model]
    source: str  # the through table's column naming the listed record
    target: str  # the through table's column naming the related record


@dataclass(frozen=True)
class RowPlan:
    """What to read for a serializer's rows, and how to write each value."""

    columns: tuple[str, ...]
    fields: tuple[_Column | _Many | tuple[str, Callable[[Any], Any]], ...]
    many: tuple[_Many, ...]

    def represent(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        related = {many.name: self._related(many, rows) for many in self.many}
        out = []
        for row in rows:
            item: dict[str, Any] = {}
            namespace = None
            for field in self.fields:
                if isinstance(field, _Column):
                    value = row[field.column]
                    item[field.name] = (
                        value if value is None or field.represent is None else field.represent(value)
                    )
                elif isinstance(field, _Many):
                    item[field.name] = related[field.name].get(row["pk"], [])
                else:
                    name, method = field
                    namespace = namespace or SimpleNamespace(**row)
                    item[name] = method(namespace)
            out.append(item)
        return out

    @staticmethod
    def _related(many: _Many, rows: list[dict[str, Any]]) -> dict[Any, list[Any]]:
        found: dict[Any, list[Any]] = defaultdict(list)
        pairs = (
            many.through.objects.filter(**{f"{many.source}__in": [row["pk"] for row in rows]})
            .order_by(many.source, many.target)
            .values_list(many.source, many.target)
        )
        for source, target in pairs:
            found[source].append(target)
        return found


@cache
def row_plan(serializer_class: type[serializers.ModelSerializer]) -> RowPlan:
    """The plan for ``serializer_class`` (built once: its fields are bound to one instance kept for that)."""
    serializer = serializer_class()
    model = serializer.Meta.model
    columns: dict[str, None] = {"pk": None}
    fields: list = []
    many: list[_Many] = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.SerializerMethodField):
            fields.append((name, getattr(serializer, field.method_name)))
            continue
        if isinstance(field, serializers.ManyRelatedField):
            if not isinstance(field.child_relation, relations.PrimaryKeyRelatedField):
                raise ImproperlyConfigured(
                    f"{serializer_class.__name__}.{name}: only primary keys are listed as rows"
                )
            relation = model._meta.get_field(field.source)
            through = relation.remote_field.through
            entry = _Many(
                name,
                through,
                f"{relation.m2m_field_name()}_id",
                f"{relation.m2m_reverse_field_name()}_id",
            )
            fields.append(entry)
            many.append(entry)
            continue
        if "." in field.source or field.source == "*":
            raise ImproperlyConfigured(
                f"{serializer_class.__name__}.{name}: a nested source is not a row column"
            )
        model_field = model._meta.get_field(field.source)
        if isinstance(field, relations.PrimaryKeyRelatedField):
            column = model_field.attname  # organisation_id: the key, without loading the record
            fields.append(_Column(name, column, None))
        elif isinstance(field, relations.RelatedField | serializers.Serializer):
            raise ImproperlyConfigured(
                f"{serializer_class.__name__}.{name}: only primary-key relations are rows"
            )
        else:
            column = field.source
            fields.append(_Column(name, column, field.to_representation))
        columns[column] = None
    # SerializerMethodFields read the row: every concrete column they might need is a serialized one.
    return RowPlan(columns=tuple(columns), fields=tuple(fields), many=tuple(many))


class RowListMixin:
    """``list`` for a ModelViewSet: the filtered, paginated queryset read as rows (see the module's docstring)."""

    def list(self, request: Request, *args, **kwargs) -> Response:
        plan = row_plan(self.get_serializer_class())
        queryset = self.filter_queryset(self.get_queryset()).select_related(None).prefetch_related(None)
        rows: Iterable[dict[str, Any]] = queryset.values(*plan.columns)
        page = self.paginate_queryset(rows)
        if page is None:
            return Response(plan.represent(list(rows)))
        return self.get_paginated_response(plan.represent(list(page)))
