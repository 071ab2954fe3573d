"""The composition root: the only module that names concrete adapters."""

from __future__ import annotations

from dependency_injector import containers, providers

from taskhub.adapters.icalendar_writer import IcalendarWriter
from taskhub.adapters.jose_tokens import JoseTokenVerifier
from taskhub.adapters.jwks import JwksCache
from taskhub.adapters.postgres.driver_pool import DriverPool
from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.export import PostgresExportReader
from taskhub.adapters.postgres.migrations import head_revision
from taskhub.adapters.postgres.read_pool import ReadPool
from taskhub.adapters.postgres.reader import PostgresTaskReader
from taskhub.adapters.postgres.readiness import PostgresReadiness
from taskhub.adapters.postgres.unit_of_work import PostgresUnitOfWork
from taskhub.adapters.postgres.write_pool import WritePool
from taskhub.adapters.system import SystemClock, TimeOrderedIdGenerator
from taskhub.application.accounts import AccountService
from taskhub.application.export import ExportService
from taskhub.application.lists import ListService
from taskhub.application.maintenance import MaintenanceService
from taskhub.application.retry import RetryPolicy
from taskhub.application.tasks import TaskService
from taskhub.entrypoints.http.rate_limit import RateLimits
from taskhub.entrypoints.settings import Settings

HEALTH_POOL = PoolSettings(
    size=1, acquire_timeout_seconds=1, connect_timeout_seconds=2, statement_timeout_ms=2000
)


def _jwks_cache(settings: Settings) -> JwksCache | None:
    if settings.jwks_url is None:
        return None
    return JwksCache(
        settings.jwks_url,
        ttl_seconds=settings.jwks_cache_ttl_seconds,
        min_refresh_interval_seconds=settings.jwks_refresh_interval_seconds,
        timeout_seconds=settings.jwks_timeout_seconds,
    )


class Container(containers.DeclarativeContainer):
    """Synchronous on purpose: nothing here does I/O when it is built (the pools connect lazily)."""

    settings = providers.Dependency(instance_of=Settings)

    write_pool = providers.Singleton(
        WritePool,
        database_url=settings.provided.database_url,
        pool=settings.provided.pool,
        pooler=settings.provided.database_pooler,
    )
    read_pool = providers.Singleton(
        ReadPool,
        database_url=settings.provided.database_url,
        pool=settings.provided.pool,
        pooler=settings.provided.database_pooler,
    )
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(TimeOrderedIdGenerator)
    unit_of_work = providers.Factory(PostgresUnitOfWork, writes=write_pool)
    task_reader = providers.Singleton(PostgresTaskReader, reads=read_pool)
    export_reader = providers.Singleton(PostgresExportReader, reads=read_pool)
    export_service = providers.Singleton(
        ExportService, reader=export_reader, calendar=providers.Singleton(IcalendarWriter), clock=clock
    )

    task_service = providers.Singleton(
        TaskService,
        uow=unit_of_work.provider,
        reader=task_reader,
        clock=clock,
        ids=ids,
        idempotency_ttl=settings.provided.idempotency_ttl,
        retry_policy=providers.Factory(
            RetryPolicy,
            attempts=settings.provided.db_retry_attempts,
            deadline_seconds=settings.provided.pool.acquire_timeout_seconds,
        ),
    )
    list_service = providers.Singleton(
        ListService,
        uow=unit_of_work.provider,
        reader=task_reader,
        clock=clock,
        ids=ids,
        idempotency_ttl=settings.provided.idempotency_ttl,
        retry_policy=providers.Factory(
            RetryPolicy,
            attempts=settings.provided.db_retry_attempts,
            deadline_seconds=settings.provided.pool.acquire_timeout_seconds,
        ),
    )
    account_service = providers.Singleton(
        AccountService,
        uow=unit_of_work.provider,
        clock=clock,
        retry_policy=providers.Factory(
            RetryPolicy,
            attempts=settings.provided.db_retry_attempts,
            deadline_seconds=settings.provided.pool.acquire_timeout_seconds,
        ),
    )
    maintenance = providers.Singleton(
        MaintenanceService,
        uow=unit_of_work.provider,
        clock=clock,
        tombstone_retention=settings.provided.tombstone_retention,
    )
    jwks = providers.Singleton(_jwks_cache, settings=settings)
    token_verifier = providers.Singleton(
        JoseTokenVerifier,
        secret=settings.provided.auth_secret,
        jwks=jwks,
        issuer=settings.provided.jwt_issuer,
        audience=settings.provided.jwt_audience,
        jwks_issuer=settings.provided.jwks_issuer,
        jwks_audience=settings.provided.jwks_audience,
        leeway_seconds=settings.provided.jwt_leeway_seconds,
        clock=clock,
    )
    # Readiness has a one-connection pool of its own: a main pool busy with slow requests must
    # not make a healthy database look down (nor the other way round).
    health_pool = providers.Singleton(
        DriverPool,
        database_url=settings.provided.database_url,
        pool=providers.Object(HEALTH_POOL),
        pooler=settings.provided.database_pooler,
        size=1,
    )
    rate_limits = providers.Singleton(
        RateLimits,
        per_user=settings.provided.rate_limit_per_minute,
        per_address=settings.provided.rate_limit_anon_per_minute,
        clock=clock,
        redis_url=settings.provided.redis_url,
    )
    readiness = providers.Singleton(
        PostgresReadiness,
        pool=health_pool,
        expected_revision=providers.Callable(head_revision),
    )
