"""The `/api/lists` resource and `GET /api/changes`: thin handlers over the list use cases."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, PathParameter, QueryParameter

from taskhub.application.idempotency import Outcome
from taskhub.application.lists import ListService
from taskhub.application.tasks import TaskService
from taskhub.domain.errors import InvalidList, ListNotFound
from taskhub.domain.lists import TaskList
from taskhub.domain.model import ListId, UserId
from taskhub.entrypoints.http.idempotency import replay_headers, validated_key
from taskhub.entrypoints.http.list_schemas import (
    Feed,
    ListPatch,
    ListRead,
    ListsBody,
    ListWrite,
    MoveBody,
    list_read,
)
from taskhub.entrypoints.http.openapi import MergePatchOperation
from taskhub.entrypoints.http.preconditions import etag, if_match_condition, if_none_match_hits
from taskhub.entrypoints.http.problems import problem_responses
from taskhub.entrypoints.http.tasks import IdempotencyKey, IfMatch, IfNoneMatch, Limit, provide_tasks

_READ_ERRORS = problem_responses(400, 401, 404, 503)
_WRITE_ERRORS = problem_responses(400, 401, 404, 409, 412, 413, 415, 422, 503)

ListIdPath = Annotated[
    str,
    PathParameter(description="The list's id (a UUID). A malformed id is a 404, like an unknown one."),
]
WriteBody = Annotated[ListWrite, Body(media_type=RequestEncodingType.JSON)]
PatchBody = Annotated[
    ListPatch,
    Body(
        media_type=RequestEncodingType.JSON,
        description="`application/json` or `application/merge-patch+json`; only the fields sent change.",
    ),
]
MoveRequest = Annotated[MoveBody, Body(media_type=RequestEncodingType.JSON)]


def provide_lists(request: Request[Any, Any, Any]) -> ListService:
    service: ListService = request.app.state.container.list_service()
    return service


def parse_list_id(raw: str) -> ListId:
    try:
        return ListId(uuid.UUID(raw))
    except ValueError:
        raise ListNotFound() from None


def _list_response(description: str, status: int = 200) -> dict[int, ResponseSpec]:
    # Without generate_examples=False Litestar makes up random examples for ListRead, and whether
    # they reach the document varies from process to process.
    return {status: ResponseSpec(data_container=ListRead, description=description, generate_examples=False)}


def list_reply(task_list: TaskList, status_code: int = 200, **headers: str) -> Response[Any]:
    return Response(
        list_read(task_list), status_code=status_code, headers={"ETag": etag(task_list), **headers}
    )


def outcome_reply(outcome: Outcome[TaskList], status_code: int = 200, **headers: str) -> Response[Any]:
    return list_reply(outcome.value, status_code, **headers, **replay_headers(outcome.replayed))


Lists = NamedDependency[ListService]
AuthedRequest = Request[UserId, Any, Any]


class ListController(Controller):
    path = "/lists"
    tags = ["lists"]
    dependencies = {"lists": Provide(provide_lists, sync_to_thread=False)}

    @get("/", summary="All your lists, in their order", responses=problem_responses(400, 401, 503))
    async def all_lists(self, request: AuthedRequest, lists: Lists) -> ListsBody:
        return ListsBody(items=[list_read(t) for t in await lists.all(request.user)])

    @post(
        "/",
        summary="Create a list (it goes last)",
        status_code=201,
        responses=_list_response("The created list", 201)
        | problem_responses(400, 401, 409, 413, 415, 422, 503),
    )
    async def create(
        self, request: AuthedRequest, data: WriteBody, lists: Lists, idempotency_key: IdempotencyKey = None
    ) -> Response[Any]:
        created = await lists.create(request.user, data.name, validated_key(idempotency_key))
        return outcome_reply(created, 201, Location=f"/api/lists/{created.value.id}")

    @get(
        "/{list_id:str}",
        summary="Read one list",
        responses=_list_response("The list")
        | {304: ResponseSpec(data_container=None, description="Your copy (If-None-Match) is current")}
        | _READ_ERRORS,
    )
    async def read(
        self, request: AuthedRequest, list_id: ListIdPath, lists: Lists, if_none_match: IfNoneMatch = None
    ) -> Response[Any]:
        task_list = await lists.get(request.user, parse_list_id(list_id))
        if if_none_match_hits(if_none_match, task_list):
            return Response(content=b"", status_code=304, headers={"ETag": etag(task_list)})
        return list_reply(task_list)

    @put(
        "/{list_id:str}",
        summary="Replace a list's writable fields",
        responses=_list_response("The list") | _WRITE_ERRORS,
    )
    async def replace(
        self,
        request: AuthedRequest,
        list_id: ListIdPath,
        data: WriteBody,
        lists: Lists,
        if_match: IfMatch = None,
    ) -> Response[Any]:
        condition = if_match_condition(if_match)
        return outcome_reply(await lists.rename(request.user, parse_list_id(list_id), data.name, condition))

    @patch(
        "/{list_id:str}",
        summary="Change some fields of a list",
        operation_class=MergePatchOperation,
        responses=_list_response("The list") | _WRITE_ERRORS,
    )
    async def update(
        self,
        request: AuthedRequest,
        list_id: ListIdPath,
        data: PatchBody,
        lists: Lists,
        if_match: IfMatch = None,
    ) -> Response[Any]:
        condition = if_match_condition(if_match)
        name = data.name if isinstance(data.name, str) else None
        return outcome_reply(await lists.rename(request.user, parse_list_id(list_id), name, condition))

    @delete(
        "/{list_id:str}",
        summary="Delete a list and every task in it",
        status_code=204,
        responses=problem_responses(400, 401, 404, 409, 412, 503),
    )
    async def remove(
        self, request: AuthedRequest, list_id: ListIdPath, lists: Lists, if_match: IfMatch = None
    ) -> None:
        await lists.delete(request.user, parse_list_id(list_id), if_match_condition(if_match))

    @post(
        "/{list_id:str}/move",
        summary="Move a list after or before another one, or first",
        status_code=200,
        responses=_list_response("The moved list") | _WRITE_ERRORS,
    )
    async def move(
        self,
        request: AuthedRequest,
        list_id: ListIdPath,
        data: MoveRequest,
        lists: Lists,
        if_match: IfMatch = None,
    ) -> Response[Any]:
        condition = if_match_condition(if_match)
        target = data.target(InvalidList)
        return outcome_reply(await lists.move(request.user, parse_list_id(list_id), target, condition))


class ChangesController(Controller):
    """`GET /api/changes`: the feed of tasks and lists (`/api/tasks/changes` keeps tasks only)."""

    path = "/changes"
    tags = ["sync"]
    dependencies = {"tasks": Provide(provide_tasks, sync_to_thread=False)}

    @get(
        "/",
        summary="Every change to your tasks and lists since your last sync, in commit order",
        responses=problem_responses(400, 401, 410, 503),
    )
    async def changes(
        self,
        request: AuthedRequest,
        tasks: NamedDependency[TaskService],
        since: Annotated[
            str | None,
            QueryParameter(
                description="`next_since` from your last call; absent: from the start", max_length=1024
            ),
        ] = None,
        limit: Limit = 50,
    ) -> Feed:
        return Feed.from_page(await tasks.all_changes(request.user, since=since, limit=limit))
