"""API lists read as rows: one ``.values()`` query per page, represented by the serializer's own fields.

A ModelSerializer builds its fields anew for every request and walks every attribute of every model instance;
for a page of 50 models that was about two thirds of the request's CPU (issue 13: 54 requests/s on 2 cores).
A list view with ``RowListMixin`` instead

- reads the page as dictionaries (``.values()`` of exactly the serialized columns, no model instances),
- reads many-to-many primary keys as an array in the same statement on PostgreSQL (elsewhere, with one query on
  the through table for the whole page), and
- turns each value into JSON with the ``to_representation`` of the serializer's field, built once per class,
  except where that is the identity or a plain ``isoformat`` (``_representer``): DRF's generic field code was
  still half of a page's CPU, most of it resolving the current time zone again for every date-time,

so a list answers the same JSON as the serializer would (tests/governance/test_api_rows.py compares them field
by field) at a fraction of the cost. Only plain fields are supported: model fields, primary-key relations (one or
many) and ``SerializerMethodField`` methods that read serialized columns. Anything else is refused when the plan
is built, never served wrong.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cache
from types import SimpleNamespace
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models
from django.db.models import OuterRef, QuerySet
from django.utils import timezone
from rest_framework import ISO_8601, relations, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

_AS_READ = "as read"  # the JSON value is the value read (a primary key, a string, a number, a choice's key)
_DATE_TIME = "date-time"  # DRF's ISO 8601 in the current time zone, resolved once per page


@dataclass(frozen=True)
class _Column:
    name: str  # the key in the JSON
    column: str  # the key in the row
    represent: Callable[[Any], Any]  # the serializer field's to_representation: what the answer must equal
    shortcut: str | None = None  # _AS_READ or _DATE_TIME where that gives the same answer for the usual type
    usual: tuple[type, ...] = ()  # the value types the shortcut holds for; anything else takes ``represent``


def _representer(field: serializers.Field) -> tuple[str | None, tuple[type, ...]]:
    """A shortcut that answers what ``field.to_representation`` would for values of the returned types."""
    if isinstance(field, relations.PrimaryKeyRelatedField):
        return _AS_READ, (int, str)
    if isinstance(field, serializers.ChoiceField):
        # DRF maps str(value) back to the choice's key: a key read from the database is answered as it is.
        keys = tuple({type(key) for key in field.choices})
        return (_AS_READ, keys) if keys in ((str,), (int,)) else (None, ())
    if type(field) in (serializers.CharField, serializers.EmailField, serializers.URLField):
        return _AS_READ, (str,)  # str(value)
    if type(field) is serializers.BooleanField:
        return _AS_READ, (bool,)
    if type(field) is serializers.IntegerField or (
        type(field) is serializers.BigIntegerField
        and not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
    ):
        return _AS_READ, (int,)  # int(value); a bool takes ``represent``: ``type(value) in usual`` is exact
    if (
        type(field) is serializers.DateField
        and getattr(field, "format", api_settings.DATE_FORMAT) == ISO_8601
    ):
        return _DATE_TIME, (date,)
    if (
        type(field) is serializers.DateTimeField
        and not hasattr(field, "timezone")
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
    ):
        return _DATE_TIME, (datetime,)
    return None, ()


def _key(value: Any) -> Any:
    """A related record's primary key, as read from its column (DRF would read ``record.pk``)."""
    return value


def _iso(value: date | datetime, zone: tzinfo | None) -> str | None:
    """DRF's ISO 8601 rendering of a date or an aware date-time (in ``zone``, UTC written as Z)."""
    if isinstance(value, datetime):
        if zone is not None:
            value = value.astimezone(zone)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return value.isoformat()


@dataclass(frozen=True)
class _Many:
    name: str
    through: type[models.Model]
    source: str  # the through table's column naming the listed record
    target: str  # the through table's column naming the related record


def _array_key(many: _Many) -> str:
    return f"_{many.name}_array"


@dataclass(frozen=True)
class RowPlan:
    """What to read for a serializer's rows, and how to write each value."""

    columns: tuple[str, ...]
    fields: tuple[_Column | _Many | tuple[str, Callable[[Any], Any]], ...]
    many: tuple[_Many, ...]

    def read(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` as the rows ``represent`` takes; on PostgreSQL with each many-to-many as an array."""
        if connections[queryset.db].vendor != "postgresql":
            return queryset.values(*self.columns)
        arrays = {
            _array_key(many): ArraySubquery(
                many.through.objects.filter(**{many.source: OuterRef("pk")})
                .order_by(many.target)
                .values(many.target)
            )
            for many in self.many
        }
        return queryset.values(*self.columns, **arrays)

    def represent(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        related = {
            many.name: self._related(many, rows)
            for many in self.many
            if rows and _array_key(many) not in rows[0]
        }
        zone = timezone.get_current_timezone()
        out = []
        for row in rows:
            item: dict[str, Any] = {}
            namespace = None
            for field in self.fields:
                if isinstance(field, _Column):
                    value = row[field.column]
                    if value is None:
                        item[field.name] = None
                    elif type(value) not in field.usual:
                        item[field.name] = field.represent(value)
                    elif field.shortcut is _AS_READ:
                        item[field.name] = value
                    elif type(value) is datetime and value.tzinfo is None:
                        item[field.name] = field.represent(value)  # naive: DRF makes it aware first
                    else:
                        item[field.name] = _iso(value, zone)
                elif isinstance(field, _Many):
                    if field.name in related:
                        item[field.name] = related[field.name].get(row["pk"], [])
                    else:
                        item[field.name] = row[_array_key(field)]
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
        elif isinstance(field, relations.RelatedField | serializers.Serializer):
            raise ImproperlyConfigured(
                f"{serializer_class.__name__}.{name}: only primary-key relations are rows"
            )
        else:
            column = field.source
        shortcut, usual = _representer(field)
        represent = _key if isinstance(field, relations.PrimaryKeyRelatedField) else field.to_representation
        fields.append(_Column(name, column, represent, shortcut, usual))
        columns[column] = None
    # SerializerMethodFields read the row: every concrete column they might need is a serialized one.
    return RowPlan(columns=tuple(columns), fields=tuple(fields), many=tuple(many))


class RowListMixin:
    """``list`` for a ModelViewSet: the filtered, paginated queryset read as rows (see the module's docstring)."""

    def list(self, request: Request, *args, **kwargs) -> Response:
        plan = row_plan(self.get_serializer_class())
        queryset = self.filter_queryset(self.get_queryset()).select_related(None).prefetch_related(None)
        rows: Iterable[dict[str, Any]] = plan.read(queryset)
        page = self.paginate_queryset(rows)
        if page is None:
            return Response(plan.represent(list(rows)))
        return self.get_paginated_response(plan.represent(list(page)))
