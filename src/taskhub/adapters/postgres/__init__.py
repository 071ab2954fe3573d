"""PostgreSQL adapters: SQLAlchemy Core over asyncpg."""
