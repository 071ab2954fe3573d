"""taskhub: an async REST backend for users' tasks."""
