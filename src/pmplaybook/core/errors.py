"""The playbook's errors: one base, :class:`PlaybookError`, so a caller can catch every refusal at once.

Each message names where the problem is (file, table, column, key), what was expected, what was found
and the fix.
"""


class PlaybookError(Exception):
    """Anything the playbook refuses, with a message that says how to fix it."""


class ParamsError(PlaybookError, ValueError):
    """A params file is missing, unreadable or does not match the model."""


class DataError(PlaybookError, ValueError):
    """The data do not meet the contract; the message says where, what and how to fix it."""


class EngineError(PlaybookError, ValueError):
    """An engine cannot be reached, or cannot do what the playbook needs; the message says the fix."""


class DataWarning(UserWarning):
    """Rows were dropped (with ``invalid="drop"``) or something looks suspicious; the count is given."""
