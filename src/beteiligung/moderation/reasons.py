"""The reasons a moderator cites: the numbered rules of the published Netiquette (the
organisation's "netiquette" text, demo/texts/netiquette.md). A rule keeps its number for good,
because decisions cite it."""

from __future__ import annotations

from beteiligung.i18n import gettext as _

NETIQUETTE_RULES: dict[int, str] = {
    1: "Respektvoll und sachlich bleiben",
    2: "Keine Beleidigungen, Drohungen oder Diskriminierung",
    3: "Beim Thema bleiben",
    4: "Keine persönlichen Daten anderer",
    5: "Keine Werbung und kein Spam",
    6: "Keine rechtswidrigen Inhalte",
    7: "Keine falsche Identität",
    8: "Ein Konto pro Person",
}


def rule_label(rule: int | None) -> str:
    if rule is None or rule not in NETIQUETTE_RULES:
        return ""
    return _("Nr. %(num)s: %(title)s", num=rule, title=_(NETIQUETTE_RULES[rule]))


def reason_text(rule: int | None, text: str = "") -> str:
    """ "Verstoß gegen Netiquette Nr. 2" plus the moderator's explanation, if any."""
    parts = []
    if rule in NETIQUETTE_RULES:
        parts.append(_("Verstoß gegen Netiquette Nr. %(num)s", num=rule))
    if text:
        parts.append(text)
    return " – ".join(parts) if parts else _("ohne Angabe von Gründen")


def placeholder(rule: int | None) -> str:
    """What the public sees in place of a hidden contribution."""
    if rule in NETIQUETTE_RULES:
        return _("Von der Moderation entfernt: Verstoß gegen Netiquette Nr. %(num)s.", num=rule)
    return _("Von der Moderation entfernt.")
