"""Domain errors raised by services; views and the API translate them to HTTP."""


class ConflictError(Exception):
    """The request is well-formed but the record's state forbids it (e.g. editing an approved assessment).

    The API answers 409; pages show the message.
    """
