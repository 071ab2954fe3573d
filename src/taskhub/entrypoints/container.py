"""The composition root: the only module that names concrete adapters."""

from __future__ import annotations

from dependency_injector import containers, providers

from taskhub.adapters.jose_tokens import JoseTokenVerifier
from taskhub.adapters.postgres.engine import create_engine
from taskhub.adapters.postgres.migrations import head_revision
from taskhub.adapters.postgres.readiness import PostgresReadiness
from taskhub.adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork
from taskhub.adapters.system import RandomIdGenerator, SystemClock
from taskhub.application.tasks import TaskService
from taskhub.entrypoints.settings import Settings


class Container(containers.DeclarativeContainer):
    """Synchronous on purpose: nothing here does I/O when it is built (the engine connects lazily)."""

    settings = providers.Dependency(instance_of=Settings)

    engine = providers.Singleton(
        create_engine,
        database_url=settings.provided.database_url,
        pool=settings.provided.pool,
    )
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(RandomIdGenerator)
    unit_of_work = providers.Factory(SqlAlchemyUnitOfWork, engine=engine)

    task_service = providers.Singleton(
        TaskService,
        uow=unit_of_work.provider,
        clock=clock,
        ids=ids,
    )
    token_verifier = providers.Singleton(
        JoseTokenVerifier,
        secret=settings.provided.auth_secret,
        issuer=settings.provided.jwt_issuer,
        audience=settings.provided.jwt_audience,
        leeway_seconds=settings.provided.jwt_leeway_seconds,
    )
    readiness = providers.Singleton(
        PostgresReadiness,
        engine=engine,
        expected_revision=providers.Callable(head_revision),
    )
