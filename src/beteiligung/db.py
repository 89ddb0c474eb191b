"""Database base classes and helpers shared by every feature package.

Models derive from :class:`Base` (integer primary key, ``created_at``/``updated_at`` in UTC) and are
registered in :func:`load_models`, which Alembic and ``create_app`` call so that the metadata is
complete wherever it is used.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

from advanced_alchemy.base import BigIntAuditBase, orm_registry

Base = BigIntAuditBase
metadata = orm_registry.metadata

# Every package that defines tables; order does not matter.
MODEL_MODULES = (
    "beteiligung.organisations.models",
    "beteiligung.accounts.models",
    "beteiligung.mail.models",
)


def load_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)


def utcnow() -> datetime:
    return datetime.now(UTC)
