"""Every domain error has exactly one HTTP status, decided in one place."""

from __future__ import annotations

import taskhub.ports.repositories
import taskhub.ports.token_verifier
from taskhub.domain.errors import (
    EditConflict,
    IdempotencyKeyReused,
    InvalidFields,
    InvalidList,
    InvalidParameter,
    InvalidTask,
    ListNotFound,
    PreconditionFailed,
    RequestInFlight,
    SyncTokenExpired,
    TaskhubError,
    TaskNotFound,
    TooManyExports,
    TooManyLists,
)
from taskhub.entrypoints.http.errors import kind_of
from taskhub.ports.repositories import StorageUnavailable
from taskhub.ports.token_verifier import InvalidToken, TokenRejection


def all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= all_subclasses(sub)
    return found


def test_every_taskhub_error_has_a_status() -> None:
    # Importing the modules that define errors makes them visible to __subclasses__().
    assert taskhub.ports.repositories
    assert taskhub.ports.token_verifier
    samples: dict[type, TaskhubError] = {
        TaskNotFound: TaskNotFound(),
        InvalidTask: InvalidTask([]),
        InvalidFields: InvalidFields([]),
        InvalidList: InvalidList([]),
        ListNotFound: ListNotFound(),
        TooManyLists: TooManyLists(500),
        InvalidParameter: InvalidParameter("limit", "bad"),
        EditConflict: EditConflict(),
        PreconditionFailed: PreconditionFailed(3),
        RequestInFlight: RequestInFlight(),
        IdempotencyKeyReused: IdempotencyKeyReused(),
        SyncTokenExpired: SyncTokenExpired(),
        TooManyExports: TooManyExports(2),
        StorageUnavailable: StorageUnavailable("down"),
        InvalidToken: InvalidToken(TokenRejection.EXPIRED),
    }
    assert all_subclasses(TaskhubError) <= set(samples), "a new error needs a sample and a status"
    statuses = {cls.__name__: kind_of(error).status for cls, error in samples.items()}
    assert statuses == {
        "TaskNotFound": 404,
        "InvalidTask": 422,
        "InvalidFields": 422,
        "InvalidList": 422,
        "ListNotFound": 404,
        "TooManyLists": 422,
        "InvalidParameter": 400,
        "EditConflict": 409,
        "PreconditionFailed": 412,
        "RequestInFlight": 409,
        "IdempotencyKeyReused": 422,
        "SyncTokenExpired": 410,
        "TooManyExports": 429,
        "StorageUnavailable": 503,
        "InvalidToken": 401,
    }
