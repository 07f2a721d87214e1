"""What tests that point Celery at another broker share."""


def reset_celery_pools(app) -> None:
    """The broker URL changed: producers made for the old one must not be reused."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
