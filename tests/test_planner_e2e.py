"""The speed-meeting planner through the emulator, the way phones use it: wishes from cards and
/wishes, a stand's wishes, the organisers' import, /plan's preview and publication, each phone's
message, calendar file, agenda and reminders, and planning again after a cancellation."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from bot.emulator import ChatMessage, Phone, TelegramEmulator
from bot.runtime import Services
from storage.exhibitors import Exhibitor, ExhibitorRepository, NewExhibitor
from storage.meetings import MeetingRepository, Status
from storage.participants import ParticipantRepository
from storage.reminders import ReminderRepository
from storage.wishes import WishRepository
from tests.conftest import BotRunner, FakeClock
from tests.helpers import next_with, register_attendee, register_organiser, register_representative
from tests.processes import run_command, start_bot
from tests.stores import TestStore
from tests.test_meetings import BEFORE_THE_DAY, open_card
from tests.test_reminders import compressed_event, reminders_of

BOSS = 7777


async def stands(services: Services, *tables: int) -> list[Exhibitor]:
    names = [
        ("disco-soupe", "Disco Soupe", "A1"),
        ("ferme-du-toit", "La Ferme du Toit", "B2"),
        ("recyclerie", "La Recyclerie", "C3"),
    ]
    repo = ExhibitorRepository(services.db)
    return [
        await repo.create(NewExhibitor(slug=slug, name=name, stand=stand, tables=n, themes=["circular-economy"]))
        for (slug, name, stand), n in zip(names, tables, strict=False)
    ]


async def wish_from_card(phone: Phone, slug: str) -> ChatMessage:
    english = (phone.language_code or "").startswith("en")
    card = await open_card(phone, slug)
    await phone.press("⭐ Add to my wishes" if english else "⭐ Ajouter à mes vœux", card)
    await phone.next_reply()  # "… is your wish #n"
    return card


async def participant_id(services: Services, phone: Phone) -> int:
    person = await services.registration.participant(phone.id)
    assert person is not None
    return person.id


# ---------------------------------------------------------------------------------------------- wishes


async def test_wishes_from_cards_ranked_reordered_and_removed_in_both_languages(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    runner.event = runner.event.model_copy(
        update={"limits": runner.event.limits.model_copy(update={"wishes_per_attendee": 2})}
    )
    services = await runner.start(clock=FakeClock(BEFORE_THE_DAY))
    soupe, ferme, recyclerie = await stands(services, 2, 1, 1)
    camille = emulator.user("Camille")
    await register_attendee(camille, themes=("Économie circulaire",))

    card = await open_card(camille, "disco-soupe")
    await camille.press("⭐ Ajouter à mes vœux", card)
    said = await camille.next_reply()
    assert "Disco Soupe est votre vœu n° 1" in said.content
    await emulator.wait_for(lambda: "★ Vœu n° 1 — retirer" in card.button_labels)
    await wish_from_card(camille, "ferme-du-toit")
    # the third is one too many: a polite answer, and nothing changes
    third = await open_card(camille, "recyclerie")
    await camille.press("⭐ Ajouter à mes vœux", third)
    refused = await camille.next_reply()
    assert "Vous avez déjà 2 vœux, le maximum" in refused.content
    me = await participant_id(services, camille)
    assert [(w.exhibitor_id, w.rank) for w in await WishRepository(services.db).of_attendee(me)] == [
        (soupe.id, 1),
        (ferme.id, 2),
    ]

    await camille.send("/wishes")
    listing = await next_with(camille, "Vos vœux")
    assert listing.content.index("1. Disco Soupe") < listing.content.index("2. La Ferme du Toit")
    assert "en attente du planning" in listing.content
    await camille.press("⬇", listing)  # the first row's ⬇: Disco Soupe goes down
    await emulator.wait_for(lambda: "1. La Ferme du Toit" in listing.content)
    assert "2. Disco Soupe" in listing.content
    await camille.press("✖ La Ferme du Toit", listing)
    await emulator.wait_for(lambda: "La Ferme du Toit" not in listing.content)
    assert "1. Disco Soupe" in listing.content
    # from the card, the ⭐ takes it out again
    card = await open_card(camille, "disco-soupe")
    assert "★ Vœu n° 1 — retirer" in card.button_labels
    await camille.press("★ Vœu n° 1 — retirer", card)
    assert "n'est plus dans vos vœux" in (await camille.next_reply()).content
    assert await WishRepository(services.db).of_attendee(me) == []

    sam = emulator.user("Sam", language_code="en")
    await register_attendee(sam, org_type="Local authority", themes=("Circular economy",))
    card = await open_card(sam, "recyclerie")
    await sam.press("⭐ Add to my wishes", card)
    assert "La Recyclerie is your wish #1" in (await sam.next_reply()).content
    await sam.send("/wishes")
    assert "1. La Recyclerie" in (await next_with(sam, "Your wish")).content

    # a representative has no ⭐ on cards, and a forged one is refused without a change
    rep = emulator.user("Lucie")
    await register_representative(rep, soupe.invite_token)
    card = await open_card(rep, "recyclerie")
    assert not any("⭐" in label for label in card.button_labels)
    await rep.press_raw(f"ws:t:{recyclerie.id}", card)
    assert "Les vœux de rendez-vous sont pour les participants" in (await rep.next_reply()).content
    assert await WishRepository(services.db).of_stand(soupe.id) == []


async def test_a_stand_marks_whom_it_wants_to_meet(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services = await runner.start(clock=FakeClock(BEFORE_THE_DAY))
    [soupe] = await stands(services, 2)
    rep = emulator.user("Lucie")
    await register_representative(rep, soupe.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille, themes=("Économie circulaire",))
    sam = emulator.user("Sam", language_code="en")
    await register_attendee(sam, org_type="Social landlord", themes=("Mobility",))

    await rep.send("/wishes")
    home = await next_with(rep, "personne que votre stand veut rencontrer")
    await rep.press("🔎 Chercher par thème et type d'organisation", home)
    await emulator.wait_for(lambda: "Quel thème ?" in home.content)
    await rep.press("Économie circulaire", home)
    await emulator.wait_for(lambda: "Quel type d'organisation ?" in home.content)
    await rep.press("Collectivité locale", home)
    await emulator.wait_for(lambda: "Camille" in home.content)
    assert "Sam" not in home.content  # another theme, another type
    await rep.press("⭐ Rencontrer Camille", home)
    await emulator.wait_for(lambda: "★ Camille — retirer" in home.button_labels)
    await rep.press("‹ Retour", home)
    await emulator.wait_for(lambda: "1 personne que votre stand veut rencontrer" in home.content)
    assert "Camille" in home.content
    camille_id = await participant_id(services, camille)
    assert await WishRepository(services.db).of_stand(soupe.id) == [camille_id]
    # an attendee cannot press a stand's button, even forged
    await camille.press_raw(f"sw:t:{camille_id}:q:0")
    assert "Seuls les représentants d'un stand" in (await camille.next_reply()).content
    await rep.press("✖ Camille", home)
    await emulator.wait_for(lambda: "0 personne que votre stand veut rencontrer" in home.content)
    # /forget takes a person's wishes, and the stands' wishes to meet them, with everything else
    await rep.press("📨 Parmi les personnes qui ont demandé un rendez-vous", home)
    await emulator.wait_for(lambda: "Personne ne correspond pour l'instant." in home.content)
    await WishRepository(services.db).set_stand_wish(soupe.id, camille_id, None, True)
    await WishRepository(services.db).add(camille_id, soupe.id, 10)
    await camille.send("/forget")
    await camille.press("🗑 Oui, tout supprimer", await next_with(camille, "Supprimer toutes vos données"))
    await camille.wait_for_text("vos données ont été supprimées")
    assert await WishRepository(services.db).of_stand(soupe.id) == []
    assert await WishRepository(services.db).everyone() == ([], [])


async def test_the_organisers_import_wishes_all_or_nothing(emulator: TelegramEmulator, runner: BotRunner) -> None:
    boss = emulator.user("Hélène", user_id=BOSS)
    services = await runner.start(organiser_ids=str(BOSS), clock=FakeClock(BEFORE_THE_DAY))
    await register_organiser(boss)
    _soupe, _ferme = await stands(services, 2, 1)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    sam = emulator.user("Sam", language_code="en")
    await register_attendee(sam, org_type="Local authority", themes=("Urban agriculture",))
    c, s = await participant_id(services, camille), await participant_id(services, sam)

    # French Excel: semicolons, cp1252; two bad rows, reported with their line numbers: nothing imported
    bad = (
        f"Participant;Exposant;Rang\n{c};disco-soupe;1\n{c};nulle-part;2\n999;ferme-du-toit;1\n{s};ferme-du-toit;x\n"
        f"{s};disco-soupe;²\n{'7' * 5000};disco-soupe;3\n"  # a digit for isdigit() only; more digits than int() reads
    )
    await boss.upload("voeux.csv", bad.encode("utf-8"), "text/csv")
    report = await next_with(boss, "Rien n'a été importé")
    assert "5 problèmes" in report.content
    assert "ligne 6 : rang « ² » : un nombre de 1 à 10" in report.content
    assert "ligne 7 : participant « 7777" in report.content and "7" * 100 not in report.content  # cut short
    assert "ligne 3 : exposant « nulle-part » inconnu" in report.content
    assert "ligne 4 : participant « 999 » inconnu" in report.content
    assert "ligne 5 : rang « x » : un nombre de 1 à 10" in report.content
    assert await WishRepository(services.db).everyone() == ([], [])

    good = f"\ufeffparticipant,exhibitor,rank\n{c},ferme-du-toit,2\n{c},disco-soupe,1\n{s},disco-soupe,1\n"
    await boss.upload("wishes.csv", good.encode("utf-8"), "text/csv")
    assert "✅ 3 vœux importés pour 2 participants." in (await next_with(boss, "importés")).content
    await camille.send("/wishes")
    listing = await next_with(camille, "Vos vœux")
    assert listing.content.index("1. Disco Soupe") < listing.content.index("2. La Ferme du Toit")
    # an attendee's file is not an import: it goes where any message goes, and imports nothing
    await camille.upload("wishes.csv", good.encode("utf-8"), "text/csv")
    await camille.next_reply()
    assert len((await WishRepository(services.db).everyone())[0]) == 3


# ---------------------------------------------------------------------------------------------- the plan


async def test_the_planner_sees_sessions_pitches_blocked_slots_and_meetings_already_made(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    services = await runner.start(clock=FakeClock(BEFORE_THE_DAY))
    soupe, ferme, recyclerie = await stands(services, 2, 1, 3)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, soupe.invite_token)
    camille, sam = emulator.user("Camille"), emulator.user("Sam", language_code="en")
    await register_attendee(camille)
    await register_attendee(sam, org_type="Local authority", themes=("Urban agriculture",))
    me, rep = await services.registration.participant(camille.id), await services.registration.participant(lucie.id)
    assert me is not None and rep is not None
    for exhibitor in (soupe, ferme, recyclerie):
        await services.wishes.toggle(me, exhibitor.id)
    await services.programme.set_following(me.id, "pecha-kucha", True)  # 15:30-16:15
    slots = {s.start.strftime("%H:%M"): s for s in services.event.slots}
    await services.meetings.block_slot(slots["14:00"], recyclerie.id)
    await services.meetings.block_slot(slots["16:45"], None)  # closed for everyone
    accepted = await services.meetings.request(me, soupe.id, slots["10:00"], None)
    await services.meetings.accept(rep, accepted.id)
    await services.meetings.request(me, ferme.id, slots["10:30"], None)  # pending: holds her slot

    board = await services.planning.board()
    index = {s.start.strftime("%H:%M"): i for i, s in enumerate(board.slots)}
    instance = board.instance
    free = instance.attendee_free[me.id]
    assert index["10:00"] not in free and index["10:30"] not in free  # her meeting, her open request
    assert {index[t] for t in ("15:30", "15:45", "16:00")}.isdisjoint(free)  # the session she follows
    assert index["09:30"] in free and index["16:15"] in free
    assert instance.booked[me.id] == frozenset({index["10:00"], index["10:30"]})
    # Disco Soupe pitches at 11:00-11:30: no table then; one of its two tables is taken at 10:00
    assert instance.free_tables[soupe.id][index["11:00"]] == instance.free_tables[soupe.id][index["11:15"]] == 0
    assert instance.free_tables[soupe.id][index["10:00"]] == 1
    assert instance.free_tables[recyclerie.id][index["14:00"]] == 0 and instance.free_tables[recyclerie.id][0] == 3
    assert all(instance.free_tables[e.id][index["16:45"]] == 0 for e in (soupe, ferme, recyclerie))
    # the pairs already met or requested are left alone; her accepted first wish counts as met
    assert instance.settled >= {(me.id, soupe.id), (me.id, ferme.id)}
    assert instance.already_met == {me.id: 1}
    assert [p for p in instance.candidates if p[0] == me.id] == [(me.id, recyclerie.id)]
    # and the plan keeps to all of it
    stored = await services.planning.compute(None, None, 10)
    [planned] = await services.planning.planned(stored.id)
    local = planned.slot_start.astimezone(services.event.tz).strftime("%H:%M")
    assert planned.exhibitor_id == recyclerie.id and local not in (
        "10:00",
        "10:30",
        "14:00",
        "15:30",
        "15:45",
        "16:00",
        "16:45",
    )
    assert planned.rank == 3 and planned.reason == "wish"


async def run_plan(boss: Phone) -> ChatMessage:
    boss.skip_unread()
    await boss.send("/plan")
    await next_with(boss, "Calcul du planning")
    return await next_with(boss, "Aperçu du planning", timeout=30)


async def test_plan_preview_publish_agenda_and_why(emulator: TelegramEmulator, runner: BotRunner) -> None:
    boss = emulator.user("Hélène", user_id=BOSS)
    services = await runner.start(organiser_ids=str(BOSS), clock=FakeClock(BEFORE_THE_DAY), planner_seconds=10)
    await register_organiser(boss)
    soupe, _ferme = await stands(services, 1, 2)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, soupe.invite_token)
    people = [emulator.user(name) for name in ("Camille", "Inès", "Marc")]
    sam = emulator.user("Sam", language_code="en")
    for phone in [*people, sam]:
        if phone is sam:
            await register_attendee(phone, org_type="Local authority", themes=("Urban agriculture",))
        else:
            await register_attendee(phone)
        await wish_from_card(phone, "disco-soupe")
        await wish_from_card(phone, "ferme-du-toit")
    # the stand wants to meet Marc: a mutual wish
    marc_id = await participant_id(services, people[2])
    await WishRepository(services.db).set_stand_wish(soupe.id, marc_id, await participant_id(services, lucie), True)

    preview = await run_plan(boss)
    assert "8 rendez-vous" in preview.content  # every wish fits in 24 slots
    assert "vœux satisfaits : 8 sur 8 (100 %)" in preview.content
    assert "participants sans aucun rendez-vous : 0 sur 4" in preview.content
    assert "vœux réciproques satisfaits : 1 sur 1" in preview.content
    assert "optimal (prouvé)" in preview.content
    assert preview.button_labels == ["✅ Publier", "🔁 Recalculer", "✖ Abandonner"]
    # nothing is made nor sent before "Publish"
    meetings = MeetingRepository(services.db)
    assert await meetings.in_statuses((Status.ACCEPTED,)) == []

    publish = preview.button("✅ Publier")
    assert publish is not None
    await boss.press("✅ Publier", preview)
    done = await next_with(boss, "Publié")
    assert preview.button_labels == []  # the preview's buttons go once it is published
    assert "8 rendez-vous créés (0 laissés de côté" in done.content
    made = await meetings.in_statuses((Status.ACCEPTED,))
    assert len(made) == 8
    assert {m.plan_reason for m in made if m.attendee_id == marc_id and m.exhibitor_id == soupe.id} == {"mutual"}
    # Disco Soupe has one table: its four meetings are in four different slots, all at table 1
    assert len({m.slot_start for m in made if m.exhibitor_id == soupe.id}) == 4
    assert {m.table_no for m in made if m.exhibitor_id == soupe.id} == {1}

    # each attendee: one message with the meetings, and one calendar file holding them all
    for phone in [*people, sam]:
        english = phone is sam
        told = await phone.wait_for_text("Your 2 speed meetings are planned" if english else "Vos 2 speed meetings")
        assert told.document is not None and told.document.file_name == "maillage-plan.ics"
        calendar = icalendar.Calendar.from_ical(told.document.content)
        events = list(calendar.walk("VEVENT"))
        mine = [m for m in made if m.attendee_id == await participant_id(services, phone)]
        assert sorted(e.decoded("dtstart").astimezone(UTC) for e in events) == sorted(m.slot_start for m in mine)
        assert {str(e["uid"]) for e in events} == {f"meeting-{m.id}@maillage" for m in mine}
        first = min(mine, key=lambda m: m.slot_start)
        local = first.slot_start.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")
        assert local in told.content
        assert ("your wish #1" if english else "votre vœu n° 1") in told.content
    marc_told = await people[2].wait_for_text("Vos 2 speed meetings")
    assert "votre vœu n° 1, et le stand voulait vous rencontrer" in marc_told.content
    # the stand's representative: one message
    stand_told = await lucie.wait_for_text("Le planning des speed meetings donne à")
    assert "Disco Soupe 4 rendez-vous (jusqu'à 1 en même temps)" in stand_told.content
    # reminders are scheduled for both sides of every meeting
    reminders = ReminderRepository(services.db)
    for meeting in made:
        rows = await services.db.fetch_all(
            "SELECT participant_id FROM reminders WHERE meeting_id = ? AND state = 'pending'", (meeting.id,)
        )
        who = {r[0] for r in rows}
        assert meeting.attendee_id in who
        if meeting.exhibitor_id == soupe.id:
            assert await participant_id(services, lucie) in who
    assert await reminders.open_reminders()

    # the agenda says why; /wishes says it is met
    camille = people[0]
    await camille.send("/agenda")
    agenda = await next_with(camille, "Disco Soupe")
    assert "votre vœu n° 1" in agenda.content
    await camille.send("/wishes")
    assert "✅ rendez-vous" in (await next_with(camille, "Vos vœux")).content

    # a second press publishes nothing twice
    sent = len(camille.bot_messages)
    await boss.press_raw(publish["callback_data"], preview)  # a double tap that arrived late
    assert "déjà publié" in (await next_with(boss, "publié")).content
    await asyncio.sleep(0.3)
    assert not any("speed meetings sont planifiés" in m.content for m in camille.bot_messages[sent:])
    assert len(await meetings.in_statuses((Status.ACCEPTED,))) == 8
    # only organisers may plan, or publish, even with a forged button
    await camille.send("/plan")
    assert "réservée à l'équipe d'organisation" in (await camille.next_reply()).content
    query = await camille.press_raw("pl:run:all")
    assert "réservée" in (await camille.callback_answer(query))["text"]
    query = await camille.press_raw("pl:drop:1")
    assert "réservée" in (await camille.callback_answer(query))["text"]


async def test_a_full_stand_is_explained_reminders_come_and_planning_again_fills_a_freed_place(
    emulator: TelegramEmulator, runner: BotRunner, tmp_path: Path
) -> None:
    event, _, _ = compressed_event(tmp_path, minutes=5)  # one slot, a minute or two away
    runner.event = event
    boss = emulator.user("Hélène", user_id=BOSS)
    services = await runner.start(organiser_ids=str(BOSS), planner_seconds=10)
    await register_organiser(boss)
    [soupe] = await stands(services, 2)
    lucie = emulator.user("Lucie")
    await register_representative(lucie, soupe.invite_token)
    camille, ines, marc = (emulator.user(n) for n in ("Camille", "Inès", "Marc"))
    for phone in (camille, ines, marc):
        await register_attendee(phone, themes=("Économie circulaire",))
        await wish_from_card(phone, "disco-soupe")
    # two tables, one slot, three wishes: one person cannot meet the stand
    preview = await run_plan(boss)
    assert "vœux satisfaits : 2 sur 3" in preview.content
    assert "participants sans aucun rendez-vous : 1 sur 3" in preview.content
    await boss.press("✅ Publier", preview)
    await next_with(boss, "Publié")
    made = await MeetingRepository(services.db).in_statuses((Status.ACCEPTED,))
    assert sorted(m.table_no for m in made) == [1, 2]
    met = {m.attendee_id for m in made}
    phones = {await participant_id(services, p): p for p in (camille, ines, marc)}
    [left_id] = set(phones) - met
    left = phones[left_id]
    told = await left.wait_for_text("Aucun rendez-vous n'a pu vous être attribué")
    assert "/wishes" in told.content
    left.skip_unread()
    await left.send("/wishes")
    why = await next_with(left, "Votre vœu (1 sur 10 possibles)")
    assert "le stand était complet à tous les créneaux où vous étiez libre" in why.content

    # the reminder of a planned meeting arrives, on both sides
    a_met = phones[next(iter(met))]
    await emulator.wait_for(lambda: len(reminders_of(a_met)) >= 1 and len(reminders_of(lucie)) >= 2, timeout=40)
    assert "Disco Soupe" in reminders_of(a_met)[0].content

    # one cancels; planning again gives the freed place to the one left out, and moves nobody else
    cancelling = a_met
    meeting = next(m for m in made if phones[m.attendee_id or 0] is cancelling)
    kept = next(m for m in made if m.id != meeting.id)
    await services.meetings.cancel(await services.registration.participant(cancelling.id), meeting.id, "unavailable")  # type: ignore[arg-type]
    preview = await run_plan(boss)
    assert "1 rendez-vous" in preview.content
    await boss.press("✅ Publier", preview)
    await next_with(boss, "Publié")
    await left.wait_for_text("1 speed meeting planifié pour vous")
    after = await MeetingRepository(services.db).in_statuses((Status.ACCEPTED,))
    assert {(m.attendee_id, m.table_no) for m in after} == {
        (kept.attendee_id, kept.table_no),
        (left_id, meeting.table_no),
    }
    assert next(m for m in after if m.id == kept.id).slot_start == kept.slot_start


# ---------------------------------------------------------------------------------------------- the command line


async def test_import_and_plan_from_the_command_line(store: TestStore, tmp_path: Path) -> None:
    async with TelegramEmulator() as emulator:
        bot = await start_bot(tmp_path, emulator)
        try:
            async with store.open() as db:
                repo = ExhibitorRepository(db)
                soupe = await repo.create(NewExhibitor(slug="disco-soupe", name="Disco Soupe", stand="A1", tables=1))
                await repo.create(NewExhibitor(slug="recyclerie", name="La Recyclerie", stand="C3", tables=1))
            lucie, camille, sam = (
                emulator.user("Lucie"),
                emulator.user("Camille"),
                emulator.user("Sam", language_code="en"),
            )
            await register_representative(lucie, soupe.invite_token)
            await register_attendee(camille)
            await register_attendee(sam, org_type="Local authority", themes=("Urban agriculture",))
        finally:
            assert await bot.stop() == 0
        async with store.open() as db:
            people = {p.full_name: p.id for p in await ParticipantRepository(db).all()}
        c, s = people["Camille"], people["Sam"]

        bad = tmp_path / "bad.csv"
        bad.write_text(
            f"participant;exposant;rang\n{c};disco-soupe;1\n{s};disco-soupe;0\n{s};recyclerie;²\n"
            f"{'7' * 5000};disco-soupe;3\n",
            encoding="utf-8",
        )
        status, out = await run_command(tmp_path, emulator, "import-wishes", str(bad))
        assert status == 2 and "nothing imported: 3 problems to fix" in out, out
        assert "line 3: rank “0”: a number from 1 to 10" in out
        assert "line 4: rank “²”: a number from 1 to 10" in out
        assert "line 5: unknown participant “7777" in out and "7" * 100 not in out and "Traceback" not in out
        good = tmp_path / "wishes.csv"
        good.write_text(f"participant;exposant;rang\n{c};disco-soupe;1\n{c};recyclerie;2\n{s};disco-soupe;1\n")
        status, out = await run_command(tmp_path, emulator, "import-wishes", str(good))
        assert status == 0 and "3 wishes imported for 2 participants" in out, out

        status, out = await run_command(tmp_path, emulator, "plan", "--day", "2027-03-17")
        assert status == 2 and "not a day of the event (2027-03-16)" in out
        status, out = await run_command(
            tmp_path, emulator, "plan", "--dry-run", "--json", str(tmp_path / "plan.json"), "--time-limit", "10"
        )
        assert status == 0, out
        assert "3 meetings; wishes met 3/3; attendees with no meeting 0/2" in out and "proven optimal" in out
        assert "dry run: nothing published" in out
        document = json.loads((tmp_path / "plan.json").read_text())
        assert {(m["attendee"], m["reason"], m["rank"]) for m in document["meetings"]} == {
            (c, "wish", 1),
            (c, "wish", 2),
            (s, "wish", 1),
        }
        async with store.open() as db:
            assert await MeetingRepository(db).in_statuses((Status.ACCEPTED,)) == []

        status, out = await run_command(tmp_path, emulator, "plan", "--time-limit", "10")
        assert status == 0 and "published: 3 meetings made (0 left out" in out, out
        assert "3 messages will go out when the bot runs" in out  # two attendees, one representative
        bot = await start_bot(tmp_path, emulator)
        try:
            told = await camille.wait_for_text("Vos 2 speed meetings sont planifiés", timeout=15)
            assert told.document is not None and told.document.file_name == "maillage-plan.ics"
            await sam.wait_for_text("1 speed meeting planned for you", timeout=15)
            await lucie.wait_for_text("donne à Disco Soupe 2 rendez-vous", timeout=15)
        finally:
            assert await bot.stop() == 0
