"""Phase kinds and the actions each one allows (adhocracy4's ``features``, Decidim's step settings).

The kind is code, not data: a town picks kinds for its timeline, and the rules here decide what
residents may do while a phase of that kind runs. When the phase ends, its actions end with it.
"""

from __future__ import annotations

import enum


class Feature(enum.StrEnum):
    """Actions a phase can open for residents."""

    COMMENT = "comment"  # write comments and replies, vote on comments
    PROPOSE = "propose"  # submit proposals
    SUPPORT = "support"  # support proposals
    SURVEY = "survey"  # answer the consultation's surveys (docs/surveys.md)


class PhaseKind(enum.StrEnum):
    INFORMATION = "information"
    DISCUSSION = "discussion"
    COLLECTION = "collection"
    SUPPORT = "support"
    EVALUATION = "evaluation"
    RESULT = "result"
    SURVEY = "survey"


PHASE_FEATURES: dict[PhaseKind, frozenset[Feature]] = {
    PhaseKind.INFORMATION: frozenset(),
    PhaseKind.DISCUSSION: frozenset({Feature.COMMENT, Feature.SURVEY}),
    PhaseKind.COLLECTION: frozenset({Feature.PROPOSE, Feature.COMMENT, Feature.SUPPORT, Feature.SURVEY}),
    PhaseKind.SUPPORT: frozenset({Feature.SUPPORT, Feature.COMMENT}),
    PhaseKind.EVALUATION: frozenset(),
    PhaseKind.RESULT: frozenset(),
    PhaseKind.SURVEY: frozenset({Feature.SURVEY, Feature.COMMENT}),
}

# German msgids, translated where shown.
PHASE_NAMES: dict[PhaseKind, str] = {
    PhaseKind.INFORMATION: "Information",
    PhaseKind.DISCUSSION: "Diskussion",
    PhaseKind.COLLECTION: "Vorschläge sammeln",
    PhaseKind.SUPPORT: "Vorschläge unterstützen",
    PhaseKind.EVALUATION: "Prüfung durch die Verwaltung",
    PhaseKind.RESULT: "Ergebnis",
    PhaseKind.SURVEY: "Umfrage",
}

PHASE_HINTS: dict[PhaseKind, str] = {
    PhaseKind.INFORMATION: "Informieren Sie sich über das Vorhaben.",
    PhaseKind.DISCUSSION: "Kommentieren und diskutieren Sie das Vorhaben.",
    PhaseKind.COLLECTION: "Reichen Sie Vorschläge ein, kommentieren und unterstützen Sie Vorschläge.",
    PhaseKind.SUPPORT: "Unterstützen und kommentieren Sie die eingereichten Vorschläge.",
    PhaseKind.EVALUATION: "Die Verwaltung prüft die Vorschläge und antwortet öffentlich.",
    PhaseKind.RESULT: "Die Ergebnisse der Beteiligung liegen vor.",
    PhaseKind.SURVEY: "Nehmen Sie an der Umfrage teil und kommentieren Sie das Vorhaben.",
}
