"""Pure rules of taskhub: the Task entity, its invariants and the domain errors.

Standard library only (enforced by import-linter and tests/unit/test_architecture.py).
"""
