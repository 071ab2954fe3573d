"""The `/api/tasks` resource: thin handlers that translate HTTP to use cases and back."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter

from taskhub.application.tasks import PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, PAGE_SIZE_MIN, TaskService
from taskhub.domain.errors import TaskNotFound
from taskhub.domain.model import Task, TaskId, UserId
from taskhub.entrypoints.http.examples import (
    CREATE_REQUEST,
    PATCH_REQUEST,
    REPLACE_REQUEST,
    list_response,
    task_response,
)
from taskhub.entrypoints.http.problems import problem_responses
from taskhub.entrypoints.http.schemas import TaskCreate, TaskList, TaskRead, TaskReplace, TaskUpdate

# 400 is listed everywhere so Litestar does not add its own (non-problem) 400 schema.
_READ_ERRORS = problem_responses(400, 401, 404, 503)
_WRITE_ERRORS = problem_responses(400, 401, 404, 409, 413, 415, 422, 503)

CreateBody = Annotated[TaskCreate, Body(media_type=RequestEncodingType.JSON, examples=CREATE_REQUEST)]
ReplaceBody = Annotated[TaskReplace, Body(media_type=RequestEncodingType.JSON, examples=REPLACE_REQUEST)]
PatchBody = Annotated[
    TaskUpdate,
    Body(
        media_type=RequestEncodingType.JSON,
        description="`application/json` or `application/merge-patch+json`; only the fields sent change.",
        examples=PATCH_REQUEST,
    ),
]

TaskIdPath = Annotated[
    str,
    Parameter(description="The task's id (a UUID). A malformed id is a 404, like an unknown one."),
]


def provide_tasks(state: State) -> TaskService:
    service: TaskService = state.container.task_service()
    return service


def parse_task_id(raw: str) -> TaskId:
    try:
        return TaskId(uuid.UUID(raw))
    except ValueError:
        raise TaskNotFound() from None


def etag(task: Task) -> str:
    return f'"{task.version}"'


def task_reply(task: Task, status_code: int = 200, **headers: str) -> Response[TaskRead]:
    return Response(
        TaskRead.from_domain(task),
        status_code=status_code,
        headers={"ETag": etag(task), **headers},
    )


class TaskController(Controller):
    path = "/tasks"
    tags = ["tasks"]
    dependencies = {"tasks": Provide(provide_tasks, sync_to_thread=False)}

    @post(
        "/",
        summary="Create a task",
        status_code=201,
        responses=task_response("The created task", 201) | problem_responses(400, 401, 413, 415, 422, 503),
    )
    async def create(
        self, data: CreateBody, tasks: NamedDependency[TaskService], caller: NamedDependency[UserId]
    ) -> Response[TaskRead]:
        task = await tasks.create(caller, data.to_content())
        return task_reply(task, 201, Location=f"/api/tasks/{task.id}")

    @get(
        "/",
        summary="List your tasks, newest first",
        responses=list_response() | problem_responses(400, 401, 503),
    )
    async def list_tasks(
        self,
        tasks: NamedDependency[TaskService],
        caller: NamedDependency[UserId],
        limit: Annotated[
            int, Parameter(ge=PAGE_SIZE_MIN, le=PAGE_SIZE_MAX, description="Page size")
        ] = PAGE_SIZE_DEFAULT,
        cursor: Annotated[
            str | None, Parameter(description="`next_cursor` from the previous page", max_length=512)
        ] = None,
    ) -> Response[TaskList]:
        page = await tasks.list(caller, limit=limit, cursor=cursor)
        headers: dict[str, Any] = {}
        if page.next_cursor is not None:
            headers["Link"] = f'</api/tasks?limit={limit}&cursor={page.next_cursor}>; rel="next"'
        return Response(TaskList.from_page(page), headers=headers)

    @get("/{task_id:str}", summary="Read one task", responses=task_response("The task") | _READ_ERRORS)
    async def read(
        self, task_id: TaskIdPath, tasks: NamedDependency[TaskService], caller: NamedDependency[UserId]
    ) -> Response[TaskRead]:
        return task_reply(await tasks.get(caller, parse_task_id(task_id)))

    @put(
        "/{task_id:str}",
        summary="Replace a task's writable fields",
        responses=task_response("The replaced task", title="Buy oat milk", version=2) | _WRITE_ERRORS,
    )
    async def replace(
        self,
        task_id: TaskIdPath,
        data: ReplaceBody,
        tasks: NamedDependency[TaskService],
        caller: NamedDependency[UserId],
    ) -> Response[TaskRead]:
        return task_reply(await tasks.replace(caller, parse_task_id(task_id), data.to_content()))

    @patch(
        "/{task_id:str}",
        summary="Change some fields of a task",
        responses=task_response("The changed task", priority="high", due_at=None, version=2) | _WRITE_ERRORS,
    )
    async def update(
        self,
        task_id: TaskIdPath,
        data: PatchBody,
        tasks: NamedDependency[TaskService],
        caller: NamedDependency[UserId],
    ) -> Response[TaskRead]:
        return task_reply(await tasks.patch(caller, parse_task_id(task_id), data.to_patch()))

    @delete("/{task_id:str}", summary="Delete a task", status_code=204, responses=_READ_ERRORS)
    async def remove(
        self, task_id: TaskIdPath, tasks: NamedDependency[TaskService], caller: NamedDependency[UserId]
    ) -> None:
        await tasks.delete(caller, parse_task_id(task_id))

    @post(
        "/{task_id:str}/complete",
        summary="Mark a task done (repeating it changes nothing)",
        status_code=200,
        responses=task_response(
            "The completed task", completed=True, completed_at="2026-12-02T08:00:00Z", version=2
        )
        | _READ_ERRORS,
    )
    async def complete(
        self, task_id: TaskIdPath, tasks: NamedDependency[TaskService], caller: NamedDependency[UserId]
    ) -> Response[TaskRead]:
        return task_reply(await tasks.complete(caller, parse_task_id(task_id)))

    @post(
        "/{task_id:str}/reopen",
        summary="Mark a task not done (repeating it changes nothing)",
        status_code=200,
        responses=task_response("The reopened task", version=3) | _READ_ERRORS,
    )
    async def reopen(
        self, task_id: TaskIdPath, tasks: NamedDependency[TaskService], caller: NamedDependency[UserId]
    ) -> Response[TaskRead]:
        return task_reply(await tasks.reopen(caller, parse_task_id(task_id)))
