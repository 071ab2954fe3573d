"""`DELETE /api/account`: the caller erases everything stored for them."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from taskhub.application.accounts import AccountService
from taskhub.domain.errors import FieldError, InvalidFields
from taskhub.domain.model import UserId
from taskhub.entrypoints.http.problems import problem_responses

AuthedRequest = Request[UserId, Any, Any]
NOT_CONFIRMED = "must be true: erasing your account deletes every task and list for good"


def provide_accounts(request: Request[Any, Any, Any]) -> AccountService:
    service: AccountService = request.app.state.container.account_service()
    return service


class AccountController(Controller):
    path = "/account"
    tags = ["account"]
    dependencies = {"accounts": Provide(provide_accounts, sync_to_thread=False)}

    @delete(
        "/",
        summary="Erase everything stored for you: tasks, lists, trash, change feed, retry records",
        description="One transaction; idempotent. Afterwards you start empty, and a sync token from "
        "before gives 410. Needs `confirm=true`.",
        status_code=204,
        responses=problem_responses(400, 401, 422, 503),
    )
    async def erase(
        self,
        request: AuthedRequest,
        accounts: NamedDependency[AccountService],
        confirm: Annotated[
            str | None, QueryParameter(description="`true`: yes, erase everything", max_length=16)
        ] = None,
    ) -> None:
        if confirm != "true":
            raise InvalidFields([FieldError("confirm", NOT_CONFIRMED)])
        await accounts.erase(request.user)
