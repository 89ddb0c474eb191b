"""Surveys in the browser: a resident answers every question kind by keyboard only with htmx, and
another without JavaScript; a quick poll shows its result in place. axe on every step (axe runs
as a script, so the no-JS flow is checked through its results page in a context with scripts)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Person, arrange, assert_accessible, unique, wait_for_htmx


def _survey(live_settings: Any) -> tuple[str, Any]:
    from beteiligung.consultations.phases import PhaseKind
    from tests.participation_factories import make_consultation
    from tests.survey_factories import make_poll, make_survey

    slug = unique("digital")
    cid = arrange(
        make_consultation(
            live_settings,
            slug=slug,
            title="Digitales Rathaus",
            kinds=(PhaseKind.INFORMATION, PhaseKind.SURVEY, PhaseKind.EVALUATION),
        )
    )
    survey = arrange(make_survey(live_settings, cid))
    poll = arrange(make_poll(live_settings, cid))
    return slug, (survey, poll)


def test_resident_answers_every_kind_by_keyboard_with_htmx(
    browser: Any, live_server: str, live_settings: Any, people: dict[str, Person]
) -> None:
    slug, (s, poll) = _survey(live_settings)
    context = browser.new_context(storage_state=people["a"].state, bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server}/umfragen/{s.id}")
        assert_accessible(page, "survey start")
        page.get_by_role("link", name="Umfrage beginnen").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/teil/1$"))
        assert_accessible(page, "section 1")

        # "Weiter" without the required answers: the form comes back in place, errors focused.
        page.get_by_role("button", name="Weiter").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#survey-errors")).to_be_focused()
        assert "<html" not in page.locator("#survey-form").inner_html()
        assert_accessible(page, "section 1 with errors")

        # Radios with Space and the arrow keys, checkboxes with Space.
        page.locator(f"#frage-{s.q['single']}-{s.o['Online']}").focus()
        page.keyboard.press("Space")
        page.locator(f"#frage-{s.q['multiple']}-{s.o['Termine buchen']}").focus()
        page.keyboard.press("Space")
        page.locator(f"#frage-{s.q['yes_no']}-{s.o['Ja']}").focus()
        page.keyboard.press("Space")
        expect(page.locator(f"#frage-{s.q['yes_no']}-{s.o['Ja']}")).to_be_checked()
        # Save for later, then go on
        page.get_by_role("button", name="Zwischenspeichern").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".kern-alert--success")).to_contain_text("zwischengespeichert")
        expect(page.locator(f"#frage-{s.q['multiple']}-{s.o['Termine buchen']}")).to_be_checked()
        page.get_by_role("button", name="Weiter").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/teil/2$"))
        assert_accessible(page, "section 2")

        page.locator(f"#frage-{s.q['scale']}-4").focus()
        page.keyboard.press("Space")
        page.locator(f"#frage-{s.q['long_text']}-eingabe").focus()
        page.keyboard.type("Der Antrag ging schnell.")
        page.get_by_role("button", name="Weiter").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/teil/3$"))

        # Ranking by numbers: each place chosen from a list, by keyboard.
        order = ["Virtuelle Bürgerversammlungen", "Online-Umfragen", "Diskussionsforen"]
        for place, label in enumerate(order, start=1):
            select = page.locator(f"#frage-{s.q['ranking']}-rang-{s.o[label]}")
            select.focus()
            for _ in range(place):
                page.keyboard.press("ArrowDown")
            expect(select).to_have_value(str(place))
        page.locator(f"#frage-{s.q['short_text']}-eingabe").focus()
        page.keyboard.type("Kaltenmoor")
        assert_accessible(page, "section 3")
        page.get_by_role("button", name="Weiter").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/zusammenfassung$"))
        assert_accessible(page, "summary")
        expect(page.locator("main")).to_contain_text("Der Antrag ging schnell.")
        page.get_by_role("button", name="Absenden").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf"/umfragen/{s.id}$"))
        expect(page.locator("main")).to_contain_text("Teilnahme bestätigt")
        assert_accessible(page, "confirmation")

        # Quick poll on the consultation page: the result replaces the form.
        page.goto(f"{live_server}/vorhaben/{slug}")
        expect(page.locator("#live[data-live-connected]")).to_have_count(1, timeout=30_000)
        page.locator(f"#frage-{poll.q['single']}-{poll.o['Gewerbe']}").focus()
        page.keyboard.press("Space")
        page.get_by_role("button", name="Abstimmen").focus()
        page.keyboard.press("Enter")
        wait_for_htmx(page)
        block = page.locator(f"#umfrage-{poll.id}")
        expect(block).to_contain_text("Ihre Stimme ist gezählt")
        expect(block.locator(".survey-chart[role=img]")).to_have_count(1)
        expect(block).to_be_focused()
        assert_accessible(page, "poll result")
    finally:
        context.close()


def test_resident_answers_without_javascript_and_sees_results(
    browser: Any, live_server: str, live_settings: Any, people: dict[str, Person]
) -> None:
    _slug, (s, _poll) = _survey(live_settings)
    context = browser.new_context(storage_state=people["b"].state, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server}/umfragen/{s.id}/teil/1")
        page.locator(f"#frage-{s.q['single']}-sonstiges").check()
        page.get_by_role("button", name="Weiter").click()
        # 422: the answer kept, the missing ones and the empty "Sonstiges" named
        expect(page.locator("#survey-errors")).to_contain_text("Sonstiges")
        expect(page.locator(f"#frage-{s.q['single']}-sonstiges")).to_be_checked()
        page.locator(f"#frage-{s.q['single']}-sonstiges-text").fill("Per Brief")
        page.locator(f"#frage-{s.q['yes_no']}-{s.o['Nein']}").check()
        page.get_by_role("button", name="Weiter").click()
        page.wait_for_url(re.compile(r"/teil/3$"))  # "Nein": the follow-up section is skipped
        page.locator(f"#frage-{s.q['ranking']}-rang-{s.o['Online-Umfragen']}").select_option("1")
        page.locator(f"#frage-{s.q['ranking']}-rang-{s.o['Diskussionsforen']}").select_option("2")
        page.locator(f"#frage-{s.q['ranking']}-rang-{s.o['Virtuelle Bürgerversammlungen']}").select_option(
            "3"
        )
        page.get_by_role("button", name="Weiter").click()
        page.wait_for_url(re.compile(r"/zusammenfassung$"))
        expect(page.locator("main")).to_contain_text("Sonstiges: Per Brief")
        page.get_by_role("button", name="Absenden").click()
        expect(page.locator("main")).to_contain_text("Vielen Dank! Ihre Antworten sind eingegangen.")
        page.get_by_role("link", name="Ergebnisse ansehen").click()
        expect(page.locator("h1")).to_contain_text("Ergebnisse")
        expect(page.locator(".survey-chart").first).to_be_visible()
    finally:
        context.close()
    # axe needs JavaScript (and is injected past the CSP): the results page, light and dark
    for scheme in ("light", "dark"):
        checked = browser.new_context(color_scheme=scheme, bypass_csp=True)
        try:
            page = checked.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server}/umfragen/{s.id}/ergebnisse")
            assert_accessible(page, f"results, {scheme}")
        finally:
            checked.close()
