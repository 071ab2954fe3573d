"""Use cases: each owns its transaction and applies the ownership rule."""
