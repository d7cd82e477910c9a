"""Maillage: the networking bot of an in-person event."""

__version__ = "0.1.0"
