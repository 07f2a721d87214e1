"""Signal handlers shared by the apps."""

from typing import Any

from django.db import models


def delete_beat_entry(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    """Remove a deleted schedule's django-celery-beat entry.

    Connected for every model with a ``periodic_task``, so the entry goes however the schedule goes: the
    app's delete page, the Django admin, or a cascade from its organisation or business unit. Without it
    beat would keep firing a task for a schedule that no longer exists.
    """
    if instance.periodic_task_id is None:
        return
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.filter(pk=instance.periodic_task_id).delete()
