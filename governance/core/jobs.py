"""Hand work to the Celery workers by task name, so services never import the task modules above them.

Tasks are thin wrappers over services (``governance.tasks``, ``maturity.tasks``); a service that wants one run
names it here. Enqueueing happens after the transaction commits, so a worker never sees a row that is not there.
"""

from typing import Any

from celery import current_app
from django.db import transaction


def registered_task(task_name: str):
    """The Celery task of that name; LookupError for a name no installed app's ``tasks`` module defines."""
    if task_name not in current_app.tasks:
        # Outside a worker the apps' tasks modules are discovered lazily, on first use.
        current_app.loader.import_default_modules()
    try:
        return current_app.tasks[task_name]
    except KeyError:
        raise LookupError(f"No Celery task named {task_name!r} is registered.") from None


def enqueue(task_name: str, **kwargs: Any) -> None:
    """Send the task now; a misspelt name raises instead of queueing a message no worker knows."""
    registered_task(task_name).apply_async(kwargs=kwargs)


def enqueue_on_commit(task_name: str, **kwargs: Any) -> None:
    """Send the task once the current transaction commits (at once outside one). The name is checked now,
    before anything commits."""
    task = registered_task(task_name)
    transaction.on_commit(lambda: task.apply_async(kwargs=kwargs))
