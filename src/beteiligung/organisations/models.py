"""An organisation is a town (or district) running participation on this install."""

from __future__ import annotations

from typing import Annotated

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beteiligung.db import Base

# A row of the organisation (``Mapped[OrganisationId]``): it goes when the organisation goes.
OrganisationId = Annotated[int, mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))]

# The pages every organisation publishes in its footer, in footer order. Key → German title msgid.
TEXT_KEYS: dict[str, str] = {
    "impressum": "Impressum",
    "datenschutz": "Datenschutz",
    "barrierefreiheit": "Barrierefreiheit",
    "netiquette": "Netiquette",
    "nutzungsbedingungen": "Nutzungsbedingungen",
    "leichte-sprache": "Leichte Sprache",
}


class Organisation(Base):
    __tablename__ = "organisation"

    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Optional host name (e.g. beteiligung.lueneburg.de) that selects this organisation.
    domain: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_address: Mapped[str] = mapped_column(Text, default="")
    intro: Mapped[str] = mapped_column(Text, default="")
    # Origins (https://host) whose video conferences or streams a meeting page may embed, one a
    # line; embedded only after the participant clicks (docs/meetings.md). Empty: link only.
    embed_origins: Mapped[str] = mapped_column(Text, default="", server_default="")

    texts: Mapped[list[OrgText]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", lazy="noload"
    )


class OrgText(Base):
    """An editable legal or help text; ``version`` grows with each edit so consents can cite it."""

    __tablename__ = "org_text"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)

    organisation_id: Mapped[OrganisationId] = mapped_column(index=True)
    key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    organisation: Mapped[Organisation] = relationship(back_populates="texts", lazy="noload")
