"""Beteiligung: an open-source citizen participation platform for German towns."""

__version__ = "0.1.0"
