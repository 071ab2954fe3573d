"""The domain's error family. Outer layers map these to HTTP statuses in one place."""

from __future__ import annotations

from dataclasses import dataclass


class TaskhubError(Exception):
    """Base of every error taskhub raises on purpose."""

    # True when this is the stored ending of an earlier request with the same Idempotency-Key,
    # answered again.
    replayed: bool = False


class TaskNotFound(TaskhubError):
    """No live task with that id belongs to the caller (another user's task included)."""

    def __init__(self) -> None:
        super().__init__("No task with this id exists.")


@dataclass(frozen=True, slots=True)
class FieldError:
    """One broken rule, named by the field it concerns."""

    field: str
    message: str


class InvalidFields(TaskhubError):
    """What the client wrote breaks one or more rules, each named by its field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


class InvalidTask(InvalidFields):
    """A task's content breaks one or more of the entity's rules (its list or parent included)."""


class InvalidList(InvalidFields):
    """A list's name breaks a rule, or a move names a place that is not one."""


class ListNotFound(TaskhubError):
    """No live list with that id belongs to the caller (another user's list included)."""

    def __init__(self) -> None:
        super().__init__("No list with this id exists.")


class TooManyLists(TaskhubError):
    """The caller already has as many lists as a user may have."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"A user has at most {limit} lists; delete one before creating another.")


class InvalidParameter(TaskhubError):
    """A query parameter or header (page size, cursor, If-Match, ...) cannot be honoured."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")


class EditConflict(TaskhubError):
    """The task kept changing under a write; nothing was written and the client may retry."""

    def __init__(self) -> None:
        super().__init__("The task is being changed by another request; retry.")


class PreconditionFailed(TaskhubError):
    """The task or list is no longer at a version the client's If-Match allows; nothing was
    written."""

    def __init__(self, current_version: int) -> None:
        self.current_version = current_version
        super().__init__("It has changed since you read it; fetch it again before writing.")


class RequestInFlight(TaskhubError):
    """Another request with the same Idempotency-Key is still running."""

    def __init__(self) -> None:
        super().__init__("A request with this Idempotency-Key is still in progress; retry shortly.")


class IdempotencyKeyReused(TaskhubError):
    """The Idempotency-Key was already used for a different request."""

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was already used with a different request.")


class TooManyExports(TaskhubError):
    """The caller already has as many exports downloading from this instance as it serves one
    user at once: each holds a database connection while it downloads."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"You already have {limit} exports downloading; retry once one has finished.")


class SyncTokenExpired(TaskhubError):
    """The sync token predates deletions that have since been forgotten: sync from scratch."""

    def __init__(self) -> None:
        super().__init__("This sync token is older than the deletion history; sync again from the start.")
