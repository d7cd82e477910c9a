"""Persistence: the only package that writes SQL."""

from storage.db import Database, SchemaTooNewError

__all__ = ["Database", "SchemaTooNewError"]
