"""The HTTP adapter (Litestar)."""
