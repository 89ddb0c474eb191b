"""Demo participation of the Hansestadt Lüneburg, drawn from the ISEK 2030+.

Four consultations in every state a visitor meets (collecting proposals now, in discussion now,
closed with a result, a draft only staff see), a dozen proposals by pseudonymous residents with
supports, threaded comments and votes, one proposal entered by staff from a postcard and one
official answer. Facts, places and figures come from the ISEK chapters "Stadt der Arbeit und
Ideen" and "Digitalisierung als Chance der Teilhabe"; the people are invented.

Times are relative to ``now``, so the demo's phases always run today. Counters (supports,
comments, votes, proposals) are kept by database triggers: this module only inserts rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from beteiligung.accounts import actions
from beteiligung.accounts.models import Role, User
from beteiligung.accounts.permissions import Actor
from beteiligung.comments.models import Comment, CommentVote
from beteiligung.consultations.models import Consultation, ConsultationStatus, Phase, Topic
from beteiligung.consultations.phases import PhaseKind
from beteiligung.organisations.models import Organisation
from beteiligung.proposals.models import AnswerState, Proposal, ProposalVersion, Source, Support

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
DEMO_PASSWORD = "Lüneburg-Demo-2030"  # noqa: S105 - demo installs only, like the printed demo logins


@dataclass(frozen=True)
class DemoResident:
    key: str
    email: str
    display_name: str


# Residents who write, support and comment in the demo; they can log in with the demo password
# but are not printed at start-up (the four demo logins in seed.py are).
RESIDENTS = (
    DemoResident("jonas", "jonas.stint@demo.beteiligung.invalid", "Jonas vom Stint"),
    DemoResident("mareike", "mareike.kaltenmoor@demo.beteiligung.invalid", "Mareike_Kaltenmoor"),
    DemoResident("lena", "lena.campus@demo.beteiligung.invalid", "Lena vom Campus"),
    DemoResident("ochtmissen", "radlerin.ochtmissen@demo.beteiligung.invalid", "Radlerin aus Ochtmissen"),
    DemoResident("handwerk", "handwerk.rotesfeld@demo.beteiligung.invalid", "Handwerk im Roten Feld"),
    DemoResident("kalle", "kalle.sande@demo.beteiligung.invalid", "Kalle am Sande"),
)

TOPICS = {
    "wirtschaft": "Wirtschaft",
    "innenstadt": "Innenstadt",
    "wissenschaft": "Wissenschaft",
    "digitalisierung": "Digitalisierung",
    "mobilitaet": "Mobilität",
    "klimaschutz": "Klimaschutz",
}

CONTACT_NAME = "Stabsstelle Nachhaltige Stadtentwicklung"
CONTACT_DETAILS = (
    "Hansestadt Lüneburg\n"
    "Rathaus, Am Ochsenmarkt 1\n"
    "21335 Lüneburg\n"
    "Fragen zum Verfahren beantworten wir auch über die Kommentare auf dieser Seite."
)


@dataclass(frozen=True)
class C:
    """A comment and its replies. ``after`` counts from the proposal (or consultation start for
    comments on the consultation) for a top-level comment, from the parent for a reply."""

    author: str
    after: timedelta
    body: str
    votes: Mapping[str, int] = field(default_factory=dict)
    replies: tuple[C, ...] = ()


@dataclass(frozen=True)
class P:
    """A proposal in the main consultation; ``author`` None: entered by staff from paper."""

    author: str | None
    ago: timedelta
    topic: str
    place: str
    title: str
    body: str
    supports: tuple[str, ...] = ()
    comments: tuple[C, ...] = ()
    source: Source = Source.ONLINE
    source_note: str = ""
    answer: tuple[AnswerState, timedelta, str] | None = None  # state, how long ago, text
    # The author changed it: (earlier title, earlier body, how long after submitting).
    earlier: tuple[str, str, timedelta] | None = None


# ---------------------------------------------------------------------------------------------
# 1. ISEK 2030+: Stadt der Arbeit und Ideen (collecting proposals now)
# ---------------------------------------------------------------------------------------------
ARBEIT_SLUG = "isek-stadt-der-arbeit-und-ideen"
ARBEIT_SUMMARY = (
    "Wie bleibt Lüneburg ein zukunftssicherer Wirtschaftsstandort mit lebendiger Innenstadt? "
    "Für das Integrierte Stadtentwicklungskonzept ISEK 2030+ sammelt die Hansestadt Ihre "
    "Vorschläge: Räume für Gründungen und Experimente, Leerstand in der Innenstadt, Universität "
    "und Fachkräfte, Gewerbegebiete und emissionsfreier Lieferverkehr."
)
ARBEIT_SUBJECT = (
    "Das Handlungsfeld „Stadt der Arbeit und Ideen“ des Integrierten Stadtentwicklungskonzepts "
    "ISEK 2030+ der Hansestadt Lüneburg: Wirtschaftsstandort, Innenstadt, Universität, "
    "Gewerbegebiete und Lieferverkehr."
)
ARBEIT_BODY = """\
Lüneburg soll ein zukunftssicherer Wirtschaftsstandort bleiben: mit einer vielfältigen und
innovativen Wirtschaftsstruktur, mit Räumen zum Experimentieren und mit einer Innenstadt, die von
neuen Nutzungen lebt. So beschreibt es das Handlungsfeld „Stadt der Arbeit und Ideen“ im
Integrierten Stadtentwicklungskonzept **ISEK 2030+**. Bevor der Rat das Konzept beschließt,
möchten wir von Ihnen wissen: Was braucht Lüneburg, um als Arbeits- und Lebensort attraktiv, fair
und familienfreundlich zu bleiben?

## Was das ISEK 2030+ dazu sagt

- **Räume für neue Ideen:** Gründer:innen, Start-ups und Maker-Spaces brauchen Räume, in denen
  neue Produkte und Dienstleistungen entstehen können. Über Förderprogramme wie „Resiliente
  Innenstadt“ kann die Hansestadt weitere Ideen unterstützen.
- **Gewerbeflächen sind knapp:** Frei verfügbare Gewerbe- und Industrieflächen gibt es kaum. Mit
  dem Bebauungsplan Nr. 166 „Papenburg / Landwehr“ an der Autobahnabfahrt Lüneburg-Nord wurde
  zuletzt eine Fläche vorbereitet; mit dem Weiterbau der A39 sollen beim Bilmer Berg weitere folgen.
- **Universitätsstadt:** An der Leuphana studieren knapp 10.000 Menschen, rund 2.500 arbeiten
  dort. Die Studierenden machen etwa 10 % der Stadtbevölkerung aus. Ziel ist, mehr
  Absolvent:innen in Lüneburg zu halten.
- **Innenstadt im Wandel:** Ein aktives Innenstadt- und Leerstandsmanagement soll neue Nutzungen
  etablieren. Die Lieferlogistik soll bis 2030 emissionsfrei sein, etwa mit gemeinsamen
  Logistik-Hubs und Click-&-Collect-Stationen.
- **Einfach mal machen:** Im Forschungsprojekt „Lüneburg 2030+“ wurden im Reallabor 15
  Realexperimente in vier Schwerpunktbereichen getestet; daraus sind unter anderem die Grünen
  Oasen entstanden. Dieser Ansatz soll fortgesetzt werden.
- **Im Gespräch bleiben:** Einmal im Jahr lädt die Oberbürgermeisterin Vertreter:innen aus
  Wirtschaft und Zivilgesellschaft zur Stadtkonferenz ein.

## So können Sie sich beteiligen

1. **Vorschläge sammeln:** Reichen Sie Ihren Vorschlag ein, ordnen Sie ihn einem Thema zu und
   nennen Sie, wenn möglich, einen Ort in Lüneburg.
2. **Vorschläge unterstützen:** Unterstützen Sie die Vorschläge anderer und diskutieren Sie sie
   in den Kommentaren.
3. **Prüfung:** Die Verwaltung prüft die Vorschläge und antwortet öffentlich.
4. **Ergebnis:** Die Ergebnisse fließen in die Beschlussvorlage zum ISEK 2030+ für den Rat ein.

Vorschläge auf Papier nimmt die Verwaltung im Rathaus entgegen; sie stellt sie hier ein und
kennzeichnet sie als „auf Papier eingereicht“.
"""
ARBEIT_SCOPE = """\
**Offen für Ihre Vorschläge:** welche Maßnahmen im Handlungsfeld „Stadt der Arbeit und Ideen“
zuerst angegangen werden, wo Experimentierräume, Maker-Spaces und Zwischennutzungen entstehen
können und wie der Lieferverkehr in der Innenstadt bis 2030 emissionsfrei werden kann.

**Nicht Gegenstand dieser Beteiligung:** die Trasse der A39 (Planung des Bundes), laufende
Bebauungsplanverfahren, die eine eigene gesetzliche Öffentlichkeitsbeteiligung haben, und die
Vermietung privater Immobilien, für die die Eigentümer:innen verantwortlich sind.

**Wer entscheidet:** Der Rat der Hansestadt Lüneburg beschließt das ISEK 2030+. Die Verwaltung
wertet alle Vorschläge aus und legt sie dem Rat mit einer Stellungnahme vor. Die Zahl der
Unterstützungen zeigt, was vielen wichtig ist; sie ist keine Abstimmung.
"""

ARBEIT_PHASES = (
    (
        PhaseKind.INFORMATION,
        -21 * DAY,
        -10 * DAY,
        "Die Hansestadt stellt das Handlungsfeld und den Ablauf vor.",
    ),
    (
        PhaseKind.COLLECTION,
        -10 * DAY,
        25 * DAY,
        "Bürger:innen reichen Vorschläge ein, kommentieren und unterstützen sie.",
    ),
    (
        PhaseKind.SUPPORT,
        25 * DAY,
        45 * DAY,
        "Keine neuen Vorschläge mehr: Unterstützen und diskutieren Sie die gesammelten Vorschläge.",
    ),
    (
        PhaseKind.EVALUATION,
        45 * DAY,
        90 * DAY,
        "Die Fachbereiche prüfen die Vorschläge; die Verwaltung antwortet auf jeden Vorschlag öffentlich.",
    ),
    (
        PhaseKind.RESULT,
        90 * DAY,
        180 * DAY,
        "Die Ergebnisse und die Beschlussvorlage für den Rat werden hier veröffentlicht.",
    ),
)

LOGISTIK_ANSWER = (
    "Vielen Dank für Ihren Vorschlag. Er passt zum Ziel des ISEK 2030+, die Lieferlogistik in der "
    "Innenstadt bis 2030 emissionsfrei zu gestalten; gemeinsame Logistik-Hubs werden dort "
    "ausdrücklich als Beispiel genannt.\n\n"
    "Die Stabsstelle Nachhaltige Stadtentwicklung prüft derzeit mit den zuständigen Fachbereichen, "
    "welche städtischen Flächen am Rand der Altstadt für einen Probebetrieb in Frage kommen, und "
    "sucht das Gespräch mit dem Einzelhandel und mit Lieferdiensten. Den Hinweis zur Barrierefreiheit "
    "aus den Kommentaren nehmen wir in die Prüfung auf.\n\n"
    "Über das Ergebnis berichten wir hier in der Phase „Prüfung“. Ob und wann ein Probebetrieb "
    "startet, entscheidet der Rat der Hansestadt Lüneburg."
)

PROPOSALS = (
    P(
        author="jonas",
        ago=9 * DAY + 14 * HOUR,
        topic="innenstadt",
        place="Am Sande",
        title="Leerstehende Läden am Sande als Maker-Space zwischennutzen",
        body=(
            "Am Sande und in den Seitenstraßen stehen immer wieder Ladenflächen leer. Ich schlage "
            "vor, dass die Stadt mit den Eigentümer:innen Zwischennutzungen vereinbart: ein offener "
            "Maker-Space mit 3D-Drucker, Lasercutter und Nähmaschinen, in dem Studierende, "
            "Handwerksbetriebe und Schüler:innen gemeinsam an Prototypen arbeiten.\n\n"
            "Eine gläserne Werkstatt im Schaufenster macht stadtverträgliche Produktion sichtbar und "
            "bringt Menschen in die Innenstadt. Den Start könnte das Programm „Resiliente Innenstadt“ "
            "fördern."
        ),
        supports=("heide", "mareike", "lena", "kalle", "handwerk", "ochtmissen"),
        comments=(
            C(
                "lena",
                5 * HOUR,
                "Super Idee! An der Leuphana gibt es viele, die so etwas nutzen würden. Wichtig wären "
                "Öffnungszeiten auch abends.",
                {"jonas": 1, "kalle": 1, "heide": 1},
                (
                    C(
                        "jonas",
                        2 * HOUR,
                        "Abends und am Wochenende, genau. Vielleicht kann ein Verein den Betrieb übernehmen?",
                        {"lena": 1},
                        (
                            C(
                                "handwerk",
                                20 * HOUR,
                                "Als Handwerksbetrieb würden wir einmal im Monat eine offene "
                                "Werkstattstunde anbieten. Versicherung und Aufsicht müssten aber "
                                "vorher geklärt sein.",
                                {"jonas": 1, "lena": 1},
                            ),
                        ),
                    ),
                ),
            ),
            C(
                "kalle",
                1 * DAY,
                "Am Sande ist beste Lage. Ob die Eigentümer:innen dort Zwischennutzungen zu günstigen "
                "Mieten zulassen? Ich bin skeptisch.",
                {"ochtmissen": 1, "jonas": -1},
                (
                    C(
                        "staff",
                        12 * HOUR,
                        "Hinweis der Stabsstelle: Für die Nachnutzung sind die Immobilienbesitzer:innen "
                        "verantwortlich. Die Stadt steht aber für Gespräche bereit, um die Übergangszeit "
                        "möglichst kurz zu halten. Solche Gespräche nehmen wir in die Prüfung des "
                        "Vorschlags auf.",
                        {"kalle": 1, "jonas": 1, "mareike": 1},
                    ),
                ),
            ),
        ),
    ),
    P(
        author="handwerk",
        ago=9 * DAY + 2 * HOUR,
        topic="mobilitaet",
        place="Altstadt",
        title="Gemeinsamer Logistik-Hub mit Lastenrad-Zustellung für die Innenstadt",
        body=(
            "Das ISEK nennt das Ziel, die Lieferlogistik in der Innenstadt bis 2030 emissionsfrei zu "
            "machen. Ein gemeinsamer Logistik-Hub am Rand der Altstadt, von dem aus Lastenräder die "
            "Geschäfte beliefern, würde viele Lieferwagen aus den engen Gassen holen.\n\n"
            "Mehrere Händler:innen und Produzierende könnten sich den Hub teilen, auch für "
            "Auslieferungen an Kund:innen. Die Stadt könnte eine Fläche bereitstellen und einen "
            "Probebetrieb als Realexperiment begleiten."
        ),
        supports=("jonas", "lena", "ochtmissen", "kalle", "mareike"),
        comments=(
            C(
                "ochtmissen",
                3 * HOUR,
                "Unbedingt. Morgens kommt man mit dem Rad durch manche Straßen kaum durch, weil überall "
                "Transporter stehen.",
                {"handwerk": 1, "lena": 1},
                (
                    C(
                        "kalle",
                        6 * HOUR,
                        "Aber die Geschäfte brauchen ihre Ware pünktlich. Wer trägt die Kosten für das "
                        "Umladen?",
                        {"ochtmissen": -1, "handwerk": 1},
                        (
                            C(
                                "handwerk",
                                4 * HOUR,
                                "Die Kosten könnten sich Händler:innen und Lieferdienste teilen, die "
                                "Stadt stellt die Fläche. Ein Probebetrieb würde zeigen, was es "
                                "wirklich kostet.",
                                {"kalle": 1, "jonas": 1},
                            ),
                        ),
                    ),
                ),
            ),
            C(
                "mareike",
                2 * DAY,
                "Bitte auch an die Barrierefreiheit denken: Lastenräder dürfen die Gehwege nicht zuparken.",
                {"heide": 1, "ochtmissen": 1},
            ),
        ),
        answer=(AnswerState.IN_REVIEW, 2 * DAY, LOGISTIK_ANSWER),
    ),
    P(
        author="lena",
        ago=8 * DAY + 5 * HOUR,
        topic="wissenschaft",
        place="Leuphana Campus, Universitätsallee",
        title="Gründungsräume am Leuphana Campus: Absolvent:innen in Lüneburg halten",
        body=(
            "Knapp 10.000 Menschen studieren an der Leuphana, aber viele ziehen nach dem Abschluss "
            "weg. Es gibt Gründerzentren, doch für Teams direkt nach dem Studium sind die Plätze "
            "knapp und oft zu teuer.\n\n"
            "Mein Vorschlag: günstige Büro- und Werkstattplätze für Gründungsteams in Campusnähe, mit "
            "Beratung durch Wirtschaftsförderung und Universität unter einem Dach. Wer hier gründet, "
            "bleibt hier und schafft Arbeitsplätze."
        ),
        supports=("jonas", "heide", "kalle"),
        comments=(
            C(
                "jonas",
                1 * DAY,
                "Ja! Und bitte mit einer offenen Sprechstunde für alle, die noch gar nicht wissen, ob "
                "sie gründen wollen.",
                {"lena": 1},
            ),
            C(
                "mareike",
                2 * DAY,
                "Warum nur am Campus? In Kaltenmoor gibt es auch leere Räume.",
                {"heide": 1},
                (
                    C(
                        "lena",
                        3 * HOUR,
                        "Guter Punkt. Ein Standort im Stadtteil würde Uni und Nachbarschaft zusammenbringen.",
                        {"mareike": 1, "heide": 1},
                    ),
                ),
            ),
        ),
    ),
    P(
        author="ochtmissen",
        ago=7 * DAY + 6 * HOUR,
        topic="mobilitaet",
        place="Hafen Lüneburg am Elbe-Seitenkanal",
        title="Gewerbegebiete ohne Auto erreichbar machen",
        body=(
            "Viele Arbeitsplätze in den Gewerbegebieten, etwa am Hafen, sind ohne Auto schlecht zu "
            "erreichen. Ich wünsche mir durchgehende, beleuchtete Radwege und Busse, die zu "
            "Schichtbeginn und Schichtende fahren.\n\n"
            "Das ISEK sagt selbst: Eine bessere Einbindung in Radverkehr und ÖPNV gibt mehr Menschen "
            "die Chance, ihre Arbeit ohne Auto zu erreichen."
        ),
        supports=("jonas", "handwerk", "heide", "lena"),
        comments=(
            C(
                "kalle",
                5 * HOUR,
                "Fände ich gut. Aber der Busfahrplan wird doch nicht allein im Rathaus gemacht, oder?",
                {"ochtmissen": 1},
                (
                    C(
                        "staff",
                        1 * DAY,
                        "Das stimmt, der Busverkehr wird nicht von der Hansestadt allein geplant. "
                        "Vertiefende Aussagen zur Mobilität trifft der Nachhaltige Urbane "
                        "Mobilitätsplan (NUMP); wir geben Ihren Hinweis dorthin weiter.",
                        {"kalle": 1, "ochtmissen": 1},
                    ),
                ),
            ),
        ),
    ),
    P(
        author="kalle",
        ago=6 * DAY + 20 * HOUR,
        topic="wissenschaft",
        place="",
        title="Reallabor fortsetzen: jedes Jahr neue Realexperimente",
        body=(
            "Im Reallabor Lüneburg 2030+ wurden 15 Realexperimente getestet, daraus sind zum Beispiel "
            "die Grünen Oasen entstanden. Ich schlage vor, daraus eine feste Einrichtung zu machen: "
            "Jedes Jahr können Bürger:innen, Vereine und Betriebe Experimente vorschlagen, eine Jury "
            "aus Stadtgesellschaft, Universität und Verwaltung wählt einige aus, und die Stadt stellt "
            "Flächen und ein kleines Budget bereit.\n\n"
            "Einfach mal machen, beobachten, weiterentwickeln."
        ),
        supports=("lena", "jonas"),
        comments=(
            C(
                "heide",
                1 * DAY,
                "Die Grünen Oasen finde ich toll. So etwas würde ich mir auch in Kaltenmoor wünschen.",
                {"kalle": 1, "mareike": 1},
            ),
        ),
    ),
    P(
        author="heide",
        ago=6 * DAY + 3 * HOUR,
        topic="wirtschaft",
        place="Kaltenmoor",
        title="Repair-Café und offene Werkstatt in Kaltenmoor",
        earlier=(
            "Repair-Café in Kaltenmoor",
            "In Kaltenmoor fehlt ein Ort, an dem man Dinge reparieren lassen kann. Ein Repair-Café "
            "spart Geld und Müll und bringt Nachbar:innen zusammen.",
            5 * HOUR,
        ),
        body=(
            "In Kaltenmoor fehlt ein Ort, an dem man Dinge reparieren lassen und selbst lernen kann. "
            "Ein Repair-Café mit offener Werkstatt spart Geld und Müll, bringt Nachbar:innen zusammen "
            "und passt zur grünen Kreislaufwirtschaft, die das ISEK stärken will.\n\n"
            "Handwerksbetriebe aus der Umgebung könnten einmal im Monat mitmachen."
        ),
        supports=("mareike", "jonas", "handwerk", "lena", "ochtmissen"),
        comments=(
            C(
                "mareike",
                2 * HOUR,
                "Da bin ich dabei! Ich kann Nähmaschinen reparieren.",
                {"heide": 1, "jonas": 1},
                (
                    C(
                        "heide",
                        5 * HOUR,
                        "Wunderbar, dann haben wir schon die erste Ehrenamtliche.",
                        {"mareike": 1},
                    ),
                ),
            ),
            C(
                "handwerk",
                1 * DAY,
                "Wir würden Werkzeug leihen. Braucht es dafür einen Raum von der Stadt, oder gibt es "
                "schon einen im Quartier?",
                {"heide": 1},
                (
                    C(
                        "mareike",
                        3 * HOUR,
                        "Vielleicht ein Gemeinschaftsraum im Quartier – ich frage mal nach.",
                        {"handwerk": 1},
                        (
                            C(
                                "jonas",
                                1 * DAY,
                                "Sagt Bescheid, wenn ihr Hilfe beim Tragen der Werkbänke braucht.",
                                {"handwerk": 1, "mareike": 1},
                            ),
                        ),
                    ),
                ),
            ),
        ),
    ),
    P(
        author="mareike",
        ago=5 * DAY + 1 * HOUR,
        topic="wirtschaft",
        place="Kaltenmoor oder Innenstadt",
        title="Coworking mit stundenweiser Kinderbetreuung für Eltern",
        body=(
            "Familienfreundliches Arbeiten ist ein Ziel des ISEK. Viele Eltern arbeiten zu Hause, weil "
            "die Betreuung nur bis mittags reicht oder der Weg nach Hamburg zu weit ist. Ein "
            "Coworking-Raum mit stundenweiser Kinderbetreuung würde Eltern, besonders Müttern, den "
            "Wiedereinstieg erleichtern.\n\n"
            "Die Stadt könnte als Arbeitgeberin mit gutem Beispiel vorangehen und Plätze für ihre "
            "eigenen Beschäftigten buchen."
        ),
        supports=("heide", "lena", "ochtmissen"),
        comments=(
            C(
                "lena",
                6 * HOUR,
                "Auch für Studierende mit Kind wäre das eine riesige Hilfe.",
                {"mareike": 1, "heide": 1},
            ),
            C(
                "kalle",
                1 * DAY,
                "Klingt teuer. Wer soll die Betreuung bezahlen?",
                {"mareike": -1},
                (
                    C(
                        "mareike",
                        2 * HOUR,
                        "Ein Teil über Beiträge, ein Teil über Arbeitgeber:innen, die Plätze buchen. "
                        "Das gibt es in anderen Städten schon.",
                        {"lena": 1, "ochtmissen": 1},
                    ),
                ),
            ),
        ),
    ),
    P(
        author="jonas",
        ago=4 * DAY + 2 * HOUR,
        topic="digitalisierung",
        place="Innenstadt",
        title="Leerstände und Passant:innenzahlen als Open Data",
        body=(
            "Auf der geplanten Urban Data Plattform sollten auch Daten zur Innenstadt stehen: freie "
            "Ladenflächen (mit Zustimmung der Eigentümer:innen), Passant:innenzählungen und die "
            "Belegung der Parkhäuser.\n\n"
            "So sehen Gründer:innen, wo sich ein Laden lohnt, und Initiativen finden Flächen für "
            "Zwischennutzungen. Open Data stärkt Transparenz und weckt Neugier, so steht es im ISEK."
        ),
        supports=("lena", "kalle"),
        comments=(
            C(
                "lena",
                1 * DAY,
                "Gerne als maschinenlesbare Daten mit offener Lizenz, nicht nur als PDF.",
                {"jonas": 1},
                (C("jonas", 2 * HOUR, "Genau, sonst kann niemand damit arbeiten."),),
            ),
        ),
    ),
    P(
        author="lena",
        ago=3 * DAY + 4 * HOUR,
        topic="wirtschaft",
        place="Rathaus, Am Ochsenmarkt",
        title="Stadtkonferenz öffnen: ein Tisch für Bürger:innen und Studierende",
        body=(
            "Einmal im Jahr lädt die Oberbürgermeisterin Wirtschaft und Zivilgesellschaft zur "
            "Stadtkonferenz ein. Ich schlage vor, dort auch Plätze für ausgeloste Bürger:innen und "
            "Studierende vorzusehen und die Ergebnisse online zu veröffentlichen, damit alle "
            "nachlesen können, was besprochen wurde."
        ),
        supports=("jonas", "mareike", "heide", "ochtmissen"),
        comments=(
            C(
                "ochtmissen",
                4 * HOUR,
                "Ein Losverfahren finde ich gut, dann sind nicht immer dieselben dabei.",
                {"lena": 1, "heide": 1},
            ),
        ),
    ),
    P(
        author="kalle",
        ago=2 * DAY + 3 * HOUR,
        topic="wirtschaft",
        place="Bahnhof Lüneburg",
        title="Click-&-Collect-Station am Bahnhof für Lüneburger Geschäfte",
        body=(
            "Viele pendeln täglich über den Bahnhof nach Hamburg. Eine Abholstation am Bahnhof, an der "
            "Kund:innen rund um die Uhr Bestellungen aus Lüneburger Geschäften abholen können, würde "
            "den Handel vor Ort stärken.\n\n"
            "Beliefert werden könnte die Station vom gemeinsamen Logistik-Hub, den ein anderer "
            "Vorschlag hier beschreibt."
        ),
        supports=("handwerk", "jonas"),
        comments=(
            C(
                "handwerk",
                3 * HOUR,
                "Passt gut zum Logistik-Hub. Die beiden Vorschläge sollte man zusammen prüfen.",
                {"kalle": 1, "jonas": 1},
            ),
        ),
    ),
    P(
        author=None,
        ago=1 * DAY + 7 * HOUR,
        topic="wirtschaft",
        place="Wochenmarkt, Am Markt",
        title="Marktstände für junge Produzent:innen aus der Region",
        body=(
            "Auf dem Wochenmarkt sollten ein paar Stände günstig an junge Betriebe aus der Region "
            "vergeben werden, die zum Beispiel Gemüse aus urbaner Landwirtschaft oder Handgemachtes "
            "verkaufen. So bleibt das Geld in der Region.\n\n"
            "(Von einer Postkarte übertragen; der Text ist unverändert.)"
        ),
        supports=("heide", "mareike", "kalle"),
        comments=(
            C(
                "heide",
                5 * HOUR,
                "Das unterstütze ich. Schön, dass auch Vorschläge auf Papier hier landen.",
                {"mareike": 1},
            ),
        ),
        source=Source.PAPER,
        source_note="Postkarte aus dem Bürgerbüro",
    ),
    P(
        author="handwerk",
        ago=7 * HOUR,
        topic="digitalisierung",
        place="Gewerbegebiete im Stadtgebiet",
        title="Glasfaser zuerst in die Gewerbegebiete",
        body=(
            "Unser Betrieb arbeitet mit digitalen Fertigungsdaten, die Internetanbindung reicht dafür "
            "kaum. Die Stadt will bis 2027 alle Haushalte und Unternehmen an Glasfaser anschließen "
            "können. Ich schlage vor, die Gewerbegebiete dabei vorzuziehen und dort, wo kein Anbieter "
            "von sich aus ausbaut, gezielt Fördermittel einzusetzen."
        ),
        supports=("kalle",),
    ),
)


# ---------------------------------------------------------------------------------------------
# 2. Digitalisierung als Chance der Teilhabe (discussion now)
# ---------------------------------------------------------------------------------------------
DIGITAL_SLUG = "digitalisierung-als-chance-der-teilhabe"
DIGITAL_SUMMARY = (
    "Glasfaser bis 2027, WLAN an allen Schulen, ein Digitales Rathaus und eine Urban Data "
    "Plattform: Diskutieren Sie mit, wie die Digitalisierung in Lüneburg allen Bürger:innen "
    "Teilhabe ermöglicht und wo Sie Hürden sehen."
)
DIGITAL_SUBJECT = (
    "Das Kapitel „Digitalisierung als Chance der Teilhabe“ des ISEK 2030+: digitale Infrastruktur, "
    "offene Daten, das Digitale Rathaus und der Beteiligungsservice der Hansestadt Lüneburg."
)
DIGITAL_BODY = """\
## Die Vision für 2030

Im Jahr 2030 soll Lüneburg eine Stadt sein, in der digitale Technologien die Teilhabe am
gesellschaftlichen Leben erleichtern: mit barrierefreiem Zugang zu digitalen Informationen und
Dienstleistungen und einer digitalen Infrastruktur, die es allen Einwohner:innen ermöglicht, an
Entscheidungen mitzuwirken.

## Was geplant ist und was schon läuft

- **Glasfaser:** Alle privaten Haushalte und Unternehmen im Stadtgebiet sollen bis 2027 an ein
  Glasfasernetz angeschlossen werden können, vorrangig durch den eigenwirtschaftlichen Ausbau der
  Telekommunikationsunternehmen. Wo der nicht gelingt, will die Stadt Fördermittel einwerben.
- **Stadt-MAN:** Das eigene städtische Glasfasernetz wird weiterentwickelt; kommunale
  Liegenschaften sind darüber geschützt und unabhängig angeschlossen.
- **WLAN an den Schulen:** Über den DigitalPakt Schule erhalten die 19 Schulen flächendeckend
  WLAN, mit rund 1.500 Access Points und gut 900 Mini-Switches für die rund 8.600 Schüler:innen.
- **Urban Data Plattform:** Daten der Stadt, von Statistiken bis zu Echtzeitdaten aus Sensoren,
  werden Schritt für Schritt öffentlich zugänglich.
- **Digitales Rathaus:** Behördengänge online erledigen, Formulare digital ausfüllen, Anträge
  elektronisch stellen.
- **Beteiligungsservice:** Digitale Werkzeuge wie diese Plattform, Online-Umfragen und virtuelle
  Bürgerversammlungen sollen Beteiligung leichter machen.

## Ihre Meinung ist gefragt

- Welche Behördengänge möchten Sie zuerst online erledigen können?
- Welche Daten der Stadt sollten offen zugänglich sein?
- Wer könnte bei der Digitalisierung abgehängt werden, und was hilft dagegen?
"""
DIGITAL_SCOPE = """\
**Offen für Ihre Hinweise:** welche Dienste das Digitale Rathaus zuerst anbietet, welche Daten
auf die Urban Data Plattform kommen und welche Hilfen es für Menschen ohne digitale Erfahrung
geben soll.

**Nicht Gegenstand dieser Diskussion:** der Glasfaserausbau der privaten
Telekommunikationsunternehmen und Online-Verfahren, die Bund und Land vorgeben.

**Wer entscheidet:** Die Verwaltung fasst die Diskussion zusammen; sie fließt in das Kapitel
„Digitalisierung als Chance der Teilhabe“ des ISEK 2030+ ein, das der Rat beschließt.
"""
DIGITAL_PHASES = (
    (PhaseKind.INFORMATION, -20 * DAY, -12 * DAY, "Die Hansestadt stellt die Ziele des Kapitels vor."),
    (PhaseKind.DISCUSSION, -12 * DAY, 30 * DAY, "Kommentieren und diskutieren Sie die Ziele."),
    (PhaseKind.EVALUATION, 30 * DAY, 60 * DAY, "Die Verwaltung wertet die Diskussion aus."),
    (PhaseKind.RESULT, 60 * DAY, 120 * DAY, "Die Zusammenfassung der Diskussion wird hier veröffentlicht."),
)
DIGITAL_COMMENTS = (
    C(
        "lena",
        2 * DAY,
        "Mir ist wichtig, dass das Digitale Rathaus barrierefrei ist, auch mit Screenreader. Viele "
        "Formulare im Netz sind es nicht.",
        {"heide": 1, "mareike": 1, "jonas": 1},
        (
            C(
                "staff",
                1 * DAY,
                "Danke für den Hinweis. Barrierefreier Zugang zu digitalen Informationen und "
                "Dienstleistungen ist ausdrücklich Teil der Vision im ISEK; wir nehmen ihn als "
                "Anforderung für neue Online-Dienste auf.",
                {"lena": 1, "heide": 1},
            ),
        ),
    ),
    C(
        "heide",
        4 * DAY,
        "Ich mache vieles online, aber meine Nachbarin hat gar kein Internet. Bitte die Wege ins "
        "Rathaus nicht abschaffen.",
        {"mareike": 1, "kalle": 1, "ochtmissen": 1},
        (
            C(
                "mareike",
                4 * HOUR,
                "Vielleicht könnte es Digital-Sprechstunden in den Stadtteilen geben, wo man Hilfe beim "
                "Ausfüllen bekommt?",
                {"heide": 1, "lena": 1},
                (
                    C(
                        "heide",
                        1 * DAY,
                        "Das wäre schön, am besten mit festen Zeiten und ohne Termin.",
                        {"mareike": 1},
                    ),
                ),
            ),
        ),
    ),
    C(
        "jonas",
        6 * DAY,
        "Welche Daten kommen zuerst auf die Urban Data Plattform? Ich fände Luftqualität und die "
        "Belegung der Parkhäuser spannend.",
        {"lena": 1},
        (
            C(
                "kalle",
                1 * DAY,
                "Parkhäuser wären praktisch. Wichtig ist, dass die Daten frei nutzbar sind.",
                {"jonas": 1},
            ),
        ),
    ),
    C(
        "ochtmissen",
        9 * DAY,
        "Glasfaser bis 2027 klingt gut, aber bei uns in der Straße ist noch nichts passiert. Wo kann "
        "man den Stand sehen?",
        {"jonas": 1, "kalle": 1},
        (
            C(
                "staff",
                6 * HOUR,
                "Wie die Versorgung aussieht, zeigt der Breitbandatlas Niedersachsen. Der Ausbau "
                "erfolgt vorrangig eigenwirtschaftlich durch die Telekommunikationsunternehmen; wo das "
                "nicht gelingt, will die Stadt Fördermittel einwerben.",
                {"ochtmissen": 1},
            ),
        ),
    ),
    C(
        "kalle",
        10 * DAY + 6 * HOUR,
        "KI in der Verwaltung bitte nur mit klaren Regeln und immer mit einem Menschen, der am Ende "
        "entscheidet.",
        {"lena": 1, "heide": 1, "jonas": -1},
    ),
)


# ---------------------------------------------------------------------------------------------
# 3. Innenstadt und Leerstand (closed, with its result)
# ---------------------------------------------------------------------------------------------
LEERSTAND_SLUG = "innenstadt-lebendig-halten"
LEERSTAND_SUMMARY = (
    "Was tun, wenn Läden in der Innenstadt leer stehen? Vor einigen Monaten haben Bürger:innen über "
    "Zwischennutzungen, Wohnen in der Innenstadt und das Leerstandsmanagement diskutiert. Das "
    "Ergebnis ist in den Entwurf des ISEK 2030+ eingeflossen."
)
LEERSTAND_SUBJECT = (
    "Strategie für Innenstadt und Leerstand im Integrierten Stadtentwicklungskonzept ISEK 2030+."
)
LEERSTAND_BODY = """\
Der Strukturwandel im Einzelhandel geht weiter; es ist mit weiteren Geschäftsaufgaben und
Leerständen zu rechnen. Die Hansestadt wollte wissen, wie die Innenstadt vielfältig und lebendig
bleiben kann: mit neuen Nutzungen, neuen Frequenzbringern und mehr Menschen, die dort wohnen.

## Ergebnis

Die Hinweise aus der Diskussion sind in das Kapitel Innenstadt des ISEK-Entwurfs eingeflossen:

- **Aktives Leerstandsmanagement:** Alternative Nutzungen sollen früh etabliert und die
  Leerstandsquote gering gehalten werden.
- **Mehr Wohnen:** Büro- und einzelne Gewerbeleerstände in Randlagen sollen für neue
  Wohnangebote umgenutzt werden können. Geeignete und ungeeignete Wohnorte werden bestimmt, um
  Nutzungskonflikte zu vermeiden.
- **Von außen nach innen:** Der Wandel soll städtebaulich verträglich gestaltet und eine
  Perforierung der Lauflagen vermieden werden.
- **Vorbereitet sein:** Ein Gutachten zeigt, was zu tun wäre, falls ein Einzelhandelsmagnet
  wegfällt. Für die Suche nach Nachnutzer:innen bleiben die Eigentümer:innen verantwortlich; die
  Stadt steht für Gespräche bereit, um Übergangszeiten kurz zu halten.

Die Vorschläge zu Zwischennutzungen werden in der laufenden Beteiligung „ISEK 2030+: Stadt der
Arbeit und Ideen“ weiterverfolgt.
"""
LEERSTAND_SCOPE = """\
**Offen war:** welche Nutzungen die Innenstadt beleben und wo Wohnen in der Innenstadt gut passt.

**Nicht offen war:** die Vermietung privater Immobilien, für die die Eigentümer:innen zuständig
sind.

**Wer entschied:** Der Rat der Hansestadt Lüneburg beschließt das ISEK 2030+.
"""
LEERSTAND_PHASES = (
    (PhaseKind.INFORMATION, -240 * DAY, -226 * DAY, "Vorstellung der Ausgangslage."),
    (PhaseKind.DISCUSSION, -226 * DAY, -190 * DAY, "Diskussion über Nutzungen und Wohnen in der Innenstadt."),
    (PhaseKind.EVALUATION, -190 * DAY, -150 * DAY, "Auswertung durch die Verwaltung."),
    (PhaseKind.RESULT, -150 * DAY, -120 * DAY, "Veröffentlichung des Ergebnisses."),
)
LEERSTAND_COMMENTS = (
    C(
        "mareike",
        3 * DAY,
        "Wenn Läden lange leer stehen, wirkt die ganze Straße traurig. Zwischennutzungen durch "
        "Künstler:innen oder Initiativen wären ein Anfang.",
        {"jonas": 1, "heide": 1},
        (
            C(
                "kalle",
                1 * DAY,
                "Und mehr Wohnungen über den Läden, dann ist abends auch Leben in der Stadt.",
                {"mareike": 1, "lena": 1},
            ),
        ),
    ),
    C(
        "jonas",
        8 * DAY,
        "Die Randlagen der Innenstadt brauchen andere Lösungen als die Hauptgeschäftsstraßen.",
        {"kalle": 1},
    ),
    C(
        "heide",
        15 * DAY,
        "Bitte auch an die kleinen Geschäfte denken, die es schon gibt, nicht nur an neue Ideen.",
        {"mareike": 1, "kalle": 1, "handwerk": 1},
    ),
)


# ---------------------------------------------------------------------------------------------
# 4. Draft (only staff see it)
# ---------------------------------------------------------------------------------------------
ENTWURF_SLUG = "nachhaltige-gewerbegebiete"
ENTWURF_SUMMARY = (
    "Neue Gewerbeflächen sollen nach Nachhaltigkeitskriterien entstehen, bestehende Gewerbegebiete "
    "besser angebunden und klimagerecht weiterentwickelt werden. Entwurf der Verwaltung, noch "
    "nicht veröffentlicht."
)
ENTWURF_BODY = """\
Frei verfügbare Gewerbeflächen sind in Lüneburg kaum zu finden. Neue Flächen sollen vor allem
entlang der geplanten A39 entstehen, damit Schwerlastverkehr besiedelte Gebiete nicht zusätzlich
belastet. Zu klären ist, nach welchen Kriterien sie entwickelt werden:

- effiziente Flächennutzung, auch mehrgeschossig
- Energie- und Wärmeversorgung aus erneuerbaren Quellen
- Erreichbarkeit mit Rad und ÖPNV
- Flächen für Verschattung und Versickerung
"""
ENTWURF_PHASES = (
    (PhaseKind.INFORMATION, 30 * DAY, 40 * DAY, ""),
    (PhaseKind.DISCUSSION, 40 * DAY, 70 * DAY, ""),
    (PhaseKind.EVALUATION, 70 * DAY, 100 * DAY, ""),
)


# ---------------------------------------------------------------------------------------------
def demo_actor(user: User, role: Role) -> Actor:
    """A demo person acting in ``role`` (verified e-mail), for the features' own actions."""
    return Actor(
        user_id=user.id, display_name=user.display_name, roles=frozenset({role}), email_verified=True
    )


async def demo_user(
    db: AsyncSession,
    org: Organisation,
    email: str,
    password: str,
    display_name: str,
    role: Role,
    created: datetime,
) -> tuple[User, bool]:
    """The demo account with ``email``, created (as of ``created``) if it is missing; and whether
    it was created. The caller commits."""
    user = await actions.get_user_by_email(db, email)
    if user is not None:
        return user, False
    user = await actions.create_user(
        db, org=org, email=email, password=password, display_name=display_name, role=role, now=created
    )
    return user, True


async def seed_participation(
    db: AsyncSession, org: Organisation, users: Mapping[Role, User], now: datetime
) -> bool:
    """Load the demo participation once; False (and no change) when the organisation already has
    consultations. ``users`` are the four demo logins by role; the residents who write the
    proposals are created here."""
    existing = await db.scalar(
        select(func.count()).select_from(Consultation).where(Consultation.organisation_id == org.id)
    )
    if existing:
        return False

    people: dict[str, User] = {
        "heide": users[Role.RESIDENT],
        "moderation": users[Role.MODERATOR],
        "staff": users[Role.STAFF],
    }
    for resident in RESIDENTS:
        people[resident.key], _ = await demo_user(
            db, org, resident.email, DEMO_PASSWORD, resident.display_name, Role.RESIDENT, now - 30 * DAY
        )
    topics = await _topics(db, org, now)
    staff = people["staff"]

    def consultation(
        slug: str,
        title: str,
        status: ConsultationStatus,
        phases: tuple[tuple[PhaseKind, timedelta, timedelta, str], ...],
        topic_slugs: tuple[str, ...],
        **texts: str,
    ) -> Consultation:
        created = min(now + phases[0][1] - 7 * DAY, now - 2 * DAY)  # a draft's phases lie ahead
        published = now + phases[0][1] if status != ConsultationStatus.DRAFT else None
        return Consultation(
            organisation_id=org.id,
            slug=slug,
            title=title,
            status=status,
            published_at=published,
            contact_name=CONTACT_NAME,
            contact_details=CONTACT_DETAILS,
            topics=[topics[s] for s in topic_slugs],
            phases=[
                Phase(
                    kind=kind,
                    description=description,
                    starts_at=now + start,
                    ends_at=now + end,
                    created_at=created,
                    updated_at=created,
                )
                for kind, start, end, description in phases
            ],
            created_at=created,
            updated_at=published or created,
            **texts,
        )

    arbeit = consultation(
        ARBEIT_SLUG,
        "ISEK 2030+: Stadt der Arbeit und Ideen – Ihre Vorschläge",
        ConsultationStatus.PUBLISHED,
        ARBEIT_PHASES,
        ("wirtschaft", "innenstadt", "wissenschaft", "digitalisierung", "mobilitaet"),
        summary=ARBEIT_SUMMARY,
        body=ARBEIT_BODY,
        subject=ARBEIT_SUBJECT,
        scope_of_decision=ARBEIT_SCOPE,
    )
    digital = consultation(
        DIGITAL_SLUG,
        "Digitalisierung als Chance der Teilhabe",
        ConsultationStatus.PUBLISHED,
        DIGITAL_PHASES,
        ("digitalisierung",),
        summary=DIGITAL_SUMMARY,
        body=DIGITAL_BODY,
        subject=DIGITAL_SUBJECT,
        scope_of_decision=DIGITAL_SCOPE,
    )
    leerstand = consultation(
        LEERSTAND_SLUG,
        "Innenstadt lebendig halten: Ideen gegen Leerstand",
        ConsultationStatus.CLOSED,
        LEERSTAND_PHASES,
        ("innenstadt", "wirtschaft"),
        summary=LEERSTAND_SUMMARY,
        body=LEERSTAND_BODY,
        subject=LEERSTAND_SUBJECT,
        scope_of_decision=LEERSTAND_SCOPE,
    )
    entwurf = consultation(
        ENTWURF_SLUG,
        "Nachhaltige Gewerbegebiete: Kriterien für neue Flächen",
        ConsultationStatus.DRAFT,
        ENTWURF_PHASES,
        ("wirtschaft", "klimaschutz", "mobilitaet"),
        summary=ENTWURF_SUMMARY,
        body=ENTWURF_BODY,
        subject="Kriterien für neue und bestehende Gewerbegebiete in Lüneburg.",
    )
    db.add_all([arbeit, digital, leerstand, entwurf])
    await db.flush()

    for spec in PROPOSALS:
        created = now - spec.ago
        proposal = Proposal(
            consultation_id=arbeit.id,
            author_id=people[spec.author].id if spec.author else None,
            title=spec.title,
            body=spec.body,
            topic_id=topics[spec.topic].id,
            place=spec.place,
            source=spec.source,
            source_note=spec.source_note,
            recorded_by_id=staff.id if spec.source != Source.ONLINE else None,
            created_at=created,
            updated_at=created,
        )
        if spec.earlier:
            proposal.edited_at = created + spec.earlier[2]
        if spec.answer:
            state, ago, text = spec.answer
            proposal.answer_state = state
            proposal.answer_text = text
            proposal.answered_at = now - ago
            proposal.answered_by_id = staff.id
        db.add(proposal)
        await db.flush()
        if spec.earlier:  # the text before the author's edit, shown as "Frühere Fassungen"
            title, body, after = spec.earlier
            db.add(
                ProposalVersion(
                    proposal_id=proposal.id,
                    author_id=proposal.author_id,
                    title=title,
                    body=body,
                    place=spec.place,
                    written_at=created,
                    public=True,
                    created_at=created + after,
                    updated_at=created + after,
                )
            )
        for i, key in enumerate(spec.supports):
            supporter = people[key]
            assert supporter.id != proposal.author_id, "authors do not support their own proposal"
            at = min(created + (i + 1) * 3 * HOUR, now)
            db.add(Support(proposal_id=proposal.id, user_id=supporter.id, created_at=at, updated_at=at))
        await _add_comments(db, spec.comments, arbeit.id, proposal.id, None, created, people, now)

    digital_start = now + DIGITAL_PHASES[1][1]
    await _add_comments(db, DIGITAL_COMMENTS, digital.id, None, None, digital_start, people, now)
    leerstand_start = now + LEERSTAND_PHASES[1][1]
    await _add_comments(db, LEERSTAND_COMMENTS, leerstand.id, None, None, leerstand_start, people, now)
    await db.commit()
    return True


async def _topics(db: AsyncSession, org: Organisation, now: datetime) -> dict[str, Topic]:
    found = {
        t.slug: t for t in (await db.scalars(select(Topic).where(Topic.organisation_id == org.id))).all()
    }
    for slug, name in TOPICS.items():
        if slug not in found:
            found[slug] = Topic(organisation_id=org.id, slug=slug, name=name)
            db.add(found[slug])
    await db.flush()
    return found


async def _add_comments(
    db: AsyncSession,
    specs: tuple[C, ...],
    consultation_id: int,
    proposal_id: int | None,
    parent: Comment | None,
    start: datetime,
    people: Mapping[str, User],
    now: datetime,
) -> None:
    """Insert a thread: each reply one level below its parent, on the same target, later than it."""
    for spec in specs:
        at = min(start + spec.after, now - timedelta(minutes=10))
        comment = Comment(
            consultation_id=consultation_id,
            proposal_id=proposal_id,
            parent_id=parent.id if parent else None,
            depth=parent.depth + 1 if parent else 1,
            author_id=people[spec.author].id,
            body=spec.body,
            created_at=at,
            updated_at=at,
        )
        db.add(comment)
        await db.flush()
        voted = min(at + HOUR, now)
        for voter, value in spec.votes.items():
            assert voter != spec.author, "nobody votes on their own comment"
            db.add(
                CommentVote(
                    comment_id=comment.id,
                    user_id=people[voter].id,
                    value=value,
                    created_at=voted,
                    updated_at=voted,
                )
            )
        await _add_comments(db, spec.replies, consultation_id, proposal_id, comment, at, people, now)
