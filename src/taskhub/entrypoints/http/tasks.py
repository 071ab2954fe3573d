"""The `/api/tasks` resource: thin handlers that translate HTTP to use cases and back."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, HeaderParameter, PathParameter, QueryParameter

from taskhub.application.idempotency import Outcome
from taskhub.application.tasks import PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, PAGE_SIZE_MIN, TaskService
from taskhub.domain.errors import InvalidTask, TaskNotFound
from taskhub.domain.listing import SEARCH_MAX_LENGTH
from taskhub.domain.model import Task, TaskId, UserId
from taskhub.entrypoints.http.examples import (
    CREATE_REQUEST,
    PATCH_REQUEST,
    REPLACE_REQUEST,
    changes_response,
    list_response,
    task_response,
)
from taskhub.entrypoints.http.idempotency import HEADER as IDEMPOTENCY_HEADER
from taskhub.entrypoints.http.idempotency import replay_headers, validated_key
from taskhub.entrypoints.http.list_schemas import TaskMoveBody
from taskhub.entrypoints.http.listing import SORT_VALUES, next_page_link, parse_filter, parse_sort
from taskhub.entrypoints.http.openapi import MergePatchOperation
from taskhub.entrypoints.http.preconditions import etag, if_match_condition, if_none_match_hits
from taskhub.entrypoints.http.problems import problem_responses
from taskhub.entrypoints.http.schemas import (
    ChangeFeed,
    TaskCreate,
    TaskReplace,
    TasksPage,
    TaskUpdate,
    fields_of,
    task_read,
)

# 400 is listed everywhere so Litestar does not add its own (non-problem) 400 schema.
_READ_ERRORS = problem_responses(400, 401, 404, 503)
_WRITE_ERRORS = problem_responses(400, 401, 404, 409, 412, 413, 415, 422, 503)
_ACTION_ERRORS = problem_responses(400, 401, 404, 409, 412, 422, 503)

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        description='Write only if the task is still at this version: `"3"` (its ETag), a list, or `*`.',
        max_length=1024,
    ),
]
IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-None-Match",
        description="Answer 304 with no body when the task is still at one of these versions.",
        max_length=1024,
    ),
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_HEADER,
        description="1..255 printable ASCII characters; a retry with the same key and body replays "
        "the first response (`Idempotent-Replayed: true`) instead of writing again.",
    ),
]

TaskMoveRequest = Annotated[TaskMoveBody, Body(media_type=RequestEncodingType.JSON)]
# The bodies are made from the writable fields (schemas.py): a type checker cannot see their type.
CreateBody = Annotated[TaskCreate, Body(media_type=RequestEncodingType.JSON, examples=CREATE_REQUEST)]  # type: ignore[valid-type]
ReplaceBody = Annotated[TaskReplace, Body(media_type=RequestEncodingType.JSON, examples=REPLACE_REQUEST)]  # type: ignore[valid-type]
PatchBody = Annotated[
    TaskUpdate,  # type: ignore[valid-type]
    Body(
        media_type=RequestEncodingType.JSON,
        description="`application/json` or `application/merge-patch+json`; only the fields sent change.",
        examples=PATCH_REQUEST,
    ),
]

Limit = Annotated[int, QueryParameter(ge=PAGE_SIZE_MIN, le=PAGE_SIZE_MAX, description="Page size")]
Cursor = Annotated[
    str | None, QueryParameter(description="`next_cursor` from the previous page", max_length=1024)
]
SortParameter = Annotated[
    str,
    QueryParameter(
        description="Field to sort by, `-` for descending; ties broken by id; tasks without due date "
        "last; `position` is the manual order of siblings",
        enum=SORT_VALUES,
    ),
]

TaskIdPath = Annotated[
    str,
    PathParameter(description="The task's id (a UUID). A malformed id is a 404, like an unknown one."),
]


def provide_tasks(request: Request[Any, Any, Any]) -> TaskService:
    # Through the app rather than an injected `State`: Litestar builds a State per request.
    service: TaskService = request.app.state.container.task_service()
    return service


def parse_task_id(raw: str) -> TaskId:
    try:
        return TaskId(uuid.UUID(raw))
    except ValueError:
        raise TaskNotFound() from None


def task_reply(task: Task, status_code: int = 200, **headers: str) -> Response[Any]:
    return Response(task_read(task), status_code=status_code, headers={"ETag": etag(task), **headers})


def outcome_reply(outcome: Outcome[Task], status_code: int = 200, **headers: str) -> Response[Any]:
    """A write's answer; a replay of an Idempotency-Key's answer says so."""
    return task_reply(outcome.value, status_code, **headers, **replay_headers(outcome.replayed))


Tasks = NamedDependency[TaskService]
# The authenticated user is `request.user`, set by the authentication middleware from the token.
AuthedRequest = Request[UserId, Any, Any]


class TaskController(Controller):
    path = "/tasks"
    tags = ["tasks"]
    dependencies = {"tasks": Provide(provide_tasks, sync_to_thread=False)}

    @post(
        "/",
        summary="Create a task",
        status_code=201,
        responses=task_response("The created task", 201)
        | problem_responses(400, 401, 409, 413, 415, 422, 503),
    )
    async def create(
        self,
        request: AuthedRequest,
        data: CreateBody,
        tasks: Tasks,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Any]:
        created = await tasks.create(request.user, fields_of(data), validated_key(idempotency_key))
        return outcome_reply(created, 201, Location=f"/api/tasks/{created.value.id}")

    @get(
        "/",
        summary="List, filter, search and sort your tasks (keyset pages)",
        responses=list_response() | problem_responses(400, 401, 503),
    )
    async def list_tasks(
        self,
        request: AuthedRequest,
        tasks: Tasks,
        limit: Limit = PAGE_SIZE_DEFAULT,
        cursor: Cursor = None,
        sort: SortParameter = "-created_at",
        completed: Annotated[
            bool | None, QueryParameter(description="Only done (true) or open (false)")
        ] = None,
        priority: Annotated[
            list[str] | None,
            QueryParameter(
                description="One or several of none, low, medium, high (repeat or comma-separate)"
            ),
        ] = None,
        tag: Annotated[
            list[str] | None, QueryParameter(description="Only tasks having this tag (repeat: all of them)")
        ] = None,
        due_before: Annotated[
            str | None,
            QueryParameter(description="due_at earlier than this RFC 3339 timestamp", max_length=64),
        ] = None,
        due_after: Annotated[
            str | None,
            QueryParameter(description="due_at at or after this RFC 3339 timestamp", max_length=64),
        ] = None,
        q: Annotated[
            str | None,
            QueryParameter(
                description="Full-text search of title and description, web search syntax: "
                'words, "a phrase", or, -word',
                max_length=SEARCH_MAX_LENGTH,
            ),
        ] = None,
        list_id: Annotated[
            str | None,
            QueryParameter(
                description="Only the tasks of this list (its id), or `inbox` for the tasks in no list; "
                "an id that is not one of yours gives an empty page",
                max_length=64,
            ),
        ] = None,
        parent_id: Annotated[
            str | None,
            QueryParameter(
                description="Only the subtasks of this task (its id), or `none` for top-level tasks; "
                "an id that is not one of yours gives an empty page",
                max_length=64,
            ),
        ] = None,
    ) -> Response[TasksPage]:
        wanted = parse_filter(
            completed=completed,
            priority=priority,
            tag=tag,
            due_before=due_before,
            due_after=due_after,
            q=q,
            list_id=list_id,
            parent_id=parent_id,
        )
        page = await tasks.list(
            request.user, wanted=wanted, sort=parse_sort(sort), limit=limit, cursor=cursor
        )
        headers: dict[str, Any] = {}
        if page.next_cursor is not None:
            headers["Link"] = next_page_link(
                request.url.path, request.query_params.multi_items(), page.next_cursor
            )
        return Response(TasksPage.from_page(page), headers=headers)

    @get(
        "/changes",
        summary="Everything that changed since your last sync, in commit order",
        responses=changes_response() | problem_responses(400, 401, 410, 503),
    )
    async def changes(
        self,
        request: AuthedRequest,
        tasks: Tasks,
        since: Annotated[
            str | None,
            QueryParameter(
                description="`next_since` from your last call; absent: from the start", max_length=1024
            ),
        ] = None,
        limit: Limit = PAGE_SIZE_DEFAULT,
    ) -> Response[ChangeFeed]:
        return Response(ChangeFeed.from_page(await tasks.changes(request.user, since=since, limit=limit)))

    @get(
        "/{task_id:str}",
        summary="Read one task",
        responses=task_response("The task")
        | {304: ResponseSpec(data_container=None, description="Your copy (If-None-Match) is current")}
        | _READ_ERRORS,
    )
    async def read(
        self, request: AuthedRequest, task_id: TaskIdPath, tasks: Tasks, if_none_match: IfNoneMatch = None
    ) -> Response[Any]:
        task = await tasks.get(request.user, parse_task_id(task_id))
        if if_none_match_hits(if_none_match, task):
            return Response(content=b"", status_code=304, headers={"ETag": etag(task)})
        return task_reply(task)

    @put(
        "/{task_id:str}",
        summary="Replace a task's writable fields",
        responses=task_response("The replaced task", title="Buy oat milk", version=2) | _WRITE_ERRORS,
    )
    async def replace(
        self,
        request: AuthedRequest,
        task_id: TaskIdPath,
        data: ReplaceBody,
        tasks: Tasks,
        if_match: IfMatch = None,
    ) -> Response[Any]:
        condition = if_match_condition(if_match)
        return outcome_reply(
            await tasks.replace(request.user, parse_task_id(task_id), fields_of(data), condition)
        )

    @patch(
        "/{task_id:str}",
        summary="Change some fields of a task",
        operation_class=MergePatchOperation,
        responses=task_response("The changed task", priority="high", due_at=None, version=2) | _WRITE_ERRORS,
    )
    async def update(
        self,
        request: AuthedRequest,
        task_id: TaskIdPath,
        data: PatchBody,
        tasks: Tasks,
        if_match: IfMatch = None,
    ) -> Response[Any]:
        condition = if_match_condition(if_match)
        return outcome_reply(
            await tasks.patch(request.user, parse_task_id(task_id), fields_of(data), condition)
        )

    @delete(
        "/{task_id:str}",
        summary="Delete a task",
        status_code=204,
        responses=problem_responses(400, 401, 404, 409, 412, 503),
    )
    async def remove(
        self, request: AuthedRequest, task_id: TaskIdPath, tasks: Tasks, if_match: IfMatch = None
    ) -> None:
        await tasks.delete(request.user, parse_task_id(task_id), if_match_condition(if_match))

    @post(
        "/{task_id:str}/move",
        summary="Move a task after or before a sibling, or first; optionally to another list or parent",
        status_code=200,
        responses=task_response("The moved task", version=2) | _WRITE_ERRORS,
    )
    async def move(
        self,
        request: AuthedRequest,
        task_id: TaskIdPath,
        data: TaskMoveRequest,
        tasks: Tasks,
        if_match: IfMatch = None,
    ) -> Response[Any]:
        condition = if_match_condition(if_match)
        target = data.target(InvalidTask)
        return outcome_reply(
            await tasks.move(request.user, parse_task_id(task_id), target, data.place(), condition)
        )

    @post(
        "/{task_id:str}/complete",
        summary="Mark a task done (repeating it changes nothing)",
        status_code=200,
        responses=task_response(
            "The completed task", completed=True, completed_at="2026-12-02T08:00:00Z", version=2
        )
        | _ACTION_ERRORS,
    )
    async def complete(
        self,
        request: AuthedRequest,
        task_id: TaskIdPath,
        tasks: Tasks,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Any]:
        return await _set_completion(request, task_id, tasks, if_match, idempotency_key, done=True)

    @post(
        "/{task_id:str}/reopen",
        summary="Mark a task not done (repeating it changes nothing)",
        status_code=200,
        responses=task_response("The reopened task", version=3) | _ACTION_ERRORS,
    )
    async def reopen(
        self,
        request: AuthedRequest,
        task_id: TaskIdPath,
        tasks: Tasks,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Any]:
        return await _set_completion(request, task_id, tasks, if_match, idempotency_key, done=False)


async def _set_completion(
    request: AuthedRequest,
    task_id: str,
    tasks: TaskService,
    if_match: str | None,
    idempotency_key: str | None,
    *,
    done: bool,
) -> Response[Any]:
    """complete and reopen: the same preconditions and idempotency, opposite changes."""
    condition = if_match_condition(if_match)
    key = validated_key(idempotency_key)
    change = tasks.complete if done else tasks.reopen
    return outcome_reply(await change(request.user, parse_task_id(task_id), condition, key))
