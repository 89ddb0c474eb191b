"""One page of a paged list (consultations, proposals, search results, notifications …)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
