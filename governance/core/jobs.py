"""Hand work to the Celery workers by task name, so services never import the task modules above them.

Tasks are thin wrappers over services (``governance.tasks``, ``maturity.tasks``); a service that wants one run
names it here. Enqueueing happens after the transaction commits, so a worker never sees a row that is not there.
"""

from typing import Any

from celery import current_app
from django.db import transaction


def enqueue(task_name: str, **kwargs: Any) -> None:
    """Send the task now. The name is looked up among the registered tasks (the app discovers every installed
    app's ``tasks`` module), so a misspelt name raises here instead of queueing a message no worker knows."""
    if task_name not in current_app.tasks:
        # Outside a worker the apps' tasks modules are discovered lazily, on first use.
        current_app.loader.import_default_modules()
    try:
        task = current_app.tasks[task_name]
    except KeyError:
        raise LookupError(f"No Celery task named {task_name!r} is registered.") from None
    task.apply_async(kwargs=kwargs)


def enqueue_on_commit(task_name: str, **kwargs: Any) -> None:
    """Send the task once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task_name, **kwargs))
