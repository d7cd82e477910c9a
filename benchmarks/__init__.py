"""Benchmarks: every performance claim of the project comes from here."""
