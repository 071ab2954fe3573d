"""The app's storage swapped for the in-memory adapters, both sides of it."""

from __future__ import annotations

from dependency_injector import providers

from taskhub.adapters.memory import InMemoryStore, InMemoryTaskReader, InMemoryUnitOfWork
from taskhub.adapters.memory_export import InMemoryExportReader
from taskhub.entrypoints.container import Container


def use_memory(container: Container, store: InMemoryStore | None = None) -> InMemoryStore:
    """Units of work, the query side and the export on one in-memory store (a new one unless given)."""
    store = store or InMemoryStore()
    container.unit_of_work.override(providers.Factory(InMemoryUnitOfWork, store=store))
    container.task_reader.override(providers.Object(InMemoryTaskReader(store)))
    container.export_reader.override(providers.Object(InMemoryExportReader(store)))
    return store
