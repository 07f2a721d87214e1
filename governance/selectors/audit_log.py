"""The audit log as people read it: one plain-language line per event, its changes with field labels, names
instead of ids and dates as dates.

Events keep what was recorded (field names, ids, ISO dates); this module only presents them. Names of records
an event points to are looked up for the whole page at once, in one statement for the kinds whose name SQL can
compute and one query per other kind, whatever the number of events.
"""

import json
import string
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models import F, Value
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst

from governance.core.naming import name_sql
from governance.core.registry import audit_actions
from governance.models import AuditEvent

MISSING = "—"
# The record's own id is the event's object id; showing it as a change says nothing.
HIDDEN_FIELDS = {"id"}
LONG_TEXT = 300
VERBS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "approve": "approved",
    "reject": "rejected",
    "submit": "submitted",
    "run": "ran",
}


@dataclass
class ChangeRow:
    label: str
    before: str
    after: str


@dataclass
class EventRow:
    event: AuditEvent
    actor: str
    summary: str
    record_type: str
    changes: list[ChangeRow] = field(default_factory=list)


@cache
def _model_for(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


def record_type_label(object_type: str) -> str:
    model = _model_for(object_type)
    return str(model._meta.verbose_name) if model else object_type


def field_label(model: type[models.Model] | None, name: str) -> str:
    found = _field(model, name)
    label = str(found.verbose_name) if found is not None else name.replace("_", " ")
    return label[:1].upper() + label[1:]


def _is_reference(found: models.Field | None) -> bool:
    """A field that holds another record's id (a foreign key or a one-to-one link)."""
    return found is not None and found.is_relation and (found.many_to_one or found.one_to_one)


def _rounded(value: Any) -> Any:
    """Floats to four significant digits, inside lists and maps too (a factor score of 1.4444444444444444)."""
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def _flatten(changes: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, str, Any, Any]]:
    """(field name, label prefix, before, after) for each change; nested maps (an assessment's answers by
    question) become "answers / question / level"."""
    for name, values in changes.items():
        if isinstance(values, list) and len(values) == 2:
            yield name, prefix, values[0], values[1]
        elif isinstance(values, dict):
            yield from _flatten(values, f"{prefix}{name} / ")
        else:
            yield name, prefix, None, values


def _foreign_keys(model, changes) -> Iterable[tuple[type[models.Model], Any]]:
    for name, prefix, before, after in _flatten(changes):
        found = None if prefix else _field(model, name)
        if _is_reference(found):
            for value in (before, after):
                if isinstance(value, int):
                    yield found.related_model, value


def _names(wanted: dict[type[models.Model], set[int]]) -> dict[tuple[type[models.Model], int], str]:
    """A name for each record asked for: one statement for every kind whose name SQL can compute
    (governance.core.naming), one query for each other kind."""
    names: dict[tuple[type[models.Model], int], str] = {}
    named_in_sql: list[models.QuerySet] = []
    kinds: dict[str, type[models.Model]] = {}
    for model, ids in wanted.items():
        expression = name_sql(model)
        if expression is not None:
            kinds[model._meta.label_lower] = model
            named_in_sql.append(
                model._default_manager.filter(pk__in=ids)
                .order_by()
                .annotate(named_kind=Value(model._meta.label_lower), named_pk=F("pk"), named=expression)
                .values_list("named_kind", "named_pk", "named")
            )
            continue
        # Joined rows loaded with them, so __str__ of a record naming its parent does not query once each.
        for pk, record in model._default_manager.select_related().in_bulk(ids).items():
            names[model, pk] = str(record)
    if named_in_sql:
        first, *rest = named_in_sql
        for kind, pk, name in first.union(*rest, all=True) if rest else first:
            names[kinds[kind], pk] = name
    return names


def _datetime_text(value: str) -> str | None:
    parsed = parse_datetime(value) if "T" in value else None
    if parsed is None:
        return None
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return parsed.strftime("%Y-%m-%d %H:%M")


def display_value(model, name: str, value: Any, names: dict, nested: bool = False) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return MISSING
    found = None if nested else _field(model, name)
    if _is_reference(found) and isinstance(value, int):
        return names.get((found.related_model, value), f"#{value} (no longer exists)")
    if found is not None and found.choices:
        return str(dict(found.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        when = _datetime_text(value) if isinstance(found, models.DateTimeField) or found is None else None
        text = when or value
    elif isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, dict | list):
        text = json.dumps(_rounded(value), ensure_ascii=False, separators=(", ", ": "))
    else:
        text = str(value)
    return text if len(text) <= LONG_TEXT else text[: LONG_TEXT - 1] + "…"


def _summary(event: AuditEvent, model, actor: str, names: dict) -> str:
    """The first of the action's phrases whose fields the event recorded with a value, else a generic one."""
    flat = {
        name: (before, after) for name, prefix, before, after in _flatten(event.changes or {}) if not prefix
    }
    for phrase in audit_actions.phrases(event.action):
        values: dict[str, str] = {"object": event.object_repr}
        for _, placeholder, _, _ in string.Formatter().parse(phrase):
            if not placeholder or placeholder == "object":
                continue
            name, _, side = placeholder.partition("__")
            if name not in flat:
                break
            before, after = flat[name]
            shown = display_value(model, name, before if side == "before" else after, names)
            if shown == MISSING:
                break
            values[placeholder] = shown
        else:
            return f"{actor} {phrase.format_map(values)}"
    verb = VERBS.get(event.action.rpartition(".")[2], event.action)
    return f"{actor} {verb} {record_type_label(event.object_type)} {event.object_repr}"


def describe_events(events: Iterable[AuditEvent]) -> list[EventRow]:
    """The page's events as rows people read; ``events`` should have ``actor`` selected with them."""
    events = list(events)
    wanted: dict[type[models.Model], set[int]] = defaultdict(set)
    for event in events:
        for related, pk in _foreign_keys(_model_for(event.object_type), event.changes or {}):
            wanted[related].add(pk)
    names = _names(wanted)
    rows = []
    for event in events:
        model = _model_for(event.object_type)
        actor = (event.actor.get_full_name() or event.actor_label) if event.actor else event.actor_label
        actor = actor or "System"
        changes = []
        for name, prefix, before, after in _flatten(event.changes or {}):
            if not prefix and name in HIDDEN_FIELDS:
                continue
            row = ChangeRow(
                label=prefix.capitalize() + field_label(None if prefix else model, name),
                before=display_value(model, name, before, names, nested=bool(prefix)),
                after=display_value(model, name, after, names, nested=bool(prefix)),
            )
            # A value recorded as empty on both sides ("— → —", an unanswered question) says nothing.
            if row.before != row.after:
                changes.append(row)
        rows.append(
            EventRow(
                event=event,
                actor=actor,
                summary=_summary(event, model, actor, names),
                record_type=record_type_label(event.object_type),
                changes=changes,
            )
        )
    return rows


# Each distinct value by a walk up the (organisation, column) index, one index probe per value found ("loose
# index scan"): a handful of probes however many events there are, where DISTINCT reads every event's entry
# (10 ms at 200,000 events, and growing with the trail). SQLite and PostgreSQL both run it.
_DISTINCT_VALUES = """
WITH RECURSIVE found(value) AS (
    SELECT (SELECT {column} FROM governance_auditevent WHERE organisation_id = %s ORDER BY {column} LIMIT 1)
    UNION ALL
    SELECT (SELECT {column} FROM governance_auditevent
            WHERE organisation_id = %s AND {column} > found.value ORDER BY {column} LIMIT 1)
    FROM found WHERE found.value IS NOT NULL
)
SELECT value FROM found WHERE value IS NOT NULL
"""
# The columns with an (organisation, column) index; the SQL names them, so only these may be asked for.
_INDEXED = {"actor_label", "object_type"}


def _distinct_values(organisation, column: str) -> list[str]:
    if column not in _INDEXED:
        raise ValueError(f"No (organisation, {column}) index to walk.")
    with connection.cursor() as cursor:
        cursor.execute(_DISTINCT_VALUES.format(column=column), [organisation.pk, organisation.pk])
        return [value for (value,) in cursor.fetchall()]


def record_type_choices(organisation) -> list[tuple[str, str]]:
    """The kinds of record the organisation's events are about (the log's "record type" filter)."""
    types = _distinct_values(organisation, "object_type")
    return sorted(
        ((value, capfirst(record_type_label(value))) for value in types), key=lambda choice: choice[1]
    )


def actor_choices(organisation) -> list[tuple[str, str]]:
    """Everyone who appears in the organisation's trail, former members too, by name where they still have one
    (the log's "actor" filter: events keep the username of the time)."""
    labels = set(_distinct_values(organisation, "actor_label"))
    user_model = get_user_model()
    names = {
        user.get_username(): user.get_full_name() or user.get_username()
        for user in user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__in": labels - {"system"}})
    }
    choices = [(label, names.get(label, f"{label} (account removed)")) for label in labels - {"system", ""}]
    choices.sort(key=lambda choice: choice[1].lower())
    return [*choices, ("system", "System (workers, beat)")] if "system" in labels else choices


def action_choices() -> list[tuple[str, str]]:
    """Each declared action, readably: "model.stage_change" reads "Model: stage change"."""
    return [
        (action, action.replace("_", " ").replace(".", ": ", 1).capitalize())
        for action in audit_actions.values()
    ]
