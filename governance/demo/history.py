"""When things happened in the demo bank: its history spread over the last two years instead of the minute
``seed_demo`` ran.

The services stamp what they create with the time they run (and write the audit event then). The seeders call
them as a user would, then move the records' own dates back with ``QuerySet.update`` (which neither calls
``save()`` nor writes an audit event). Audit events are never touched: the hash-chained trail keeps the real times
at which the demo was loaded, and still verifies.
"""

import hashlib
from datetime import datetime, timedelta

from django.db.models import Model
from django.utils import timezone


def stable_number(text: str) -> int:
    """A number that ``text`` always gives (for demo choices that look random but never change)."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def days_ago(days: float, salt: str = "", *, now: datetime | None = None) -> datetime:
    """A working-hours moment ``days`` days before today (09:00-17:59 local time, the hour and minute fixed by
    ``salt`` so the demo is the same every time), never later than now. Give events of one record at least a
    day apart to keep their order."""
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    number = stable_number(f"{salt}|{days}")
    moment = today - timedelta(days=int(days)) + timedelta(hours=9 + number % 9, minutes=(number >> 4) % 60)
    # Today's events happened earlier today, not later.
    return min(moment, now - timedelta(minutes=5 + number % 50))


def backdate(obj: Model, **fields: datetime | None) -> None:
    """Set ``obj``'s date fields in the database and on the instance, without ``save()`` (so ``auto_now``
    fields keep the given value and no audit event is written)."""
    type(obj).objects.filter(pk=obj.pk).update(**fields)
    for name, value in fields.items():
        setattr(obj, name, value)
