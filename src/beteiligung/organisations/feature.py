"""The organisations feature's manifest (``beteiligung.registry``; docs/architecture.md, "Features")."""

from __future__ import annotations

from beteiligung.accounts.actions import TEXT_VERSION
from beteiligung.organisations import admin, context, queries, routes
from beteiligung.organisations.models import TEXT_KEYS
from beteiligung.registry import Feature

FEATURE = Feature(
    name="organisations",
    routes=(
        *routes.ROUTES,
        *admin.ROUTES,
    ),
    request_context=(context.CONTEXT,),
    template_globals={"TEXT_KEYS": TEXT_KEYS},
    extras={TEXT_VERSION: queries.text_version},
)
