"""Revocation that sticks: a removed representative or organiser cannot come back through the link they had."""

from __future__ import annotations

from datetime import timedelta

from bot.emulator import TelegramEmulator
from storage.db import utcnow
from storage.organiser_invites import OrganiserInviteRepository
from storage.participants import Role
from tests.conftest import BotRunner, FakeClock
from tests.helpers import next_with, register_attendee, register_organiser, register_representative
from tests.test_meetings import BEFORE_THE_DAY, request, soupe

BOSS = 4242


async def reminder_states(runner: BotRunner, participant_id: int) -> list[str]:
    services = runner._running[0][2]
    rows = await services.fetch_all(
        "SELECT state FROM reminders WHERE participant_id = ? AND kind = 'meeting' ORDER BY id", (participant_id,)
    )
    return [r["state"] for r in rows]


async def test_a_revoked_representative_cannot_rejoin_and_is_no_longer_reminded(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    boss = emulator.user("Hélène", user_id=BOSS)
    services = await runner.start(organiser_ids=str(BOSS), clock=FakeClock(BEFORE_THE_DAY))
    await register_organiser(boss)
    exhibitor = await soupe(services)
    old_link = f"x-{exhibitor.invite_token}"
    lucie, marc = emulator.user("Lucie"), emulator.user("Marc")
    await register_representative(lucie, exhibitor.invite_token)
    await register_representative(marc, exhibitor.invite_token)
    camille = emulator.user("Camille")
    await register_attendee(camille)
    await request(camille, "10:00")
    await lucie.press("✅ Accepter", await next_with(lucie, "Demande de rendez-vous"))
    await camille.wait_for_text("Ajoutez-le à votre agenda")
    lucie_id = (await services.registration.participant(lucie.id)).id  # type: ignore[union-attr]
    marc_id = (await services.registration.participant(marc.id)).id  # type: ignore[union-attr]
    assert set(await reminder_states(runner, lucie_id)) == {"pending"}

    await boss.send("/reps")
    listing = await boss.next_reply()
    assert "(2)" in listing.text and "Lucie — Disco Soupe" in listing.text
    await boss.press("Retirer Lucie", listing)
    await boss.wait_for_text("Retirer Lucie des représentants de Disco Soupe ?")
    await boss.press("Oui, retirer", listing)
    done = await boss.wait_for_text("Lucie ne représente plus Disco Soupe.")
    refreshed = await services.directory.exhibitor(exhibitor.id)
    assert refreshed is not None and refreshed.invite_token != exhibitor.invite_token
    new_link = f"https://t.me/{emulator.bot_username}?start=x-{refreshed.invite_token}"
    assert new_link in done.text

    # the stand's other representative is told, with the new link; the revoked one is told too
    notice = await marc.wait_for_text("a retiré Lucie des représentants")
    assert new_link in notice.text
    await lucie.wait_for_text("vous a retiré(e) des représentants")
    # her reminders of the stand's meeting are dropped; Marc's stay
    assert set(await reminder_states(runner, lucie_id)) == {"cancelled"}
    assert set(await reminder_states(runner, marc_id)) == {"pending"}

    # the link she had no longer makes her a representative
    lucie.skip_unread()
    await lucie.open_deep_link(old_link)
    assert "n'est pas (ou plus) valable" in (await lucie.next_reply()).text
    assert (await services.registration.participant(lucie.id)).role == Role.ATTENDEE  # type: ignore[union-attr]
    assert (await services.registration.participant(marc.id)).role == Role.EXHIBITOR  # type: ignore[union-attr]
    # while the new one works for a colleague
    ines = emulator.user("Inès")
    await register_representative(ines, refreshed.invite_token)
    ines_now = await services.registration.participant(ines.id)
    assert ines_now is not None and ines_now.role == Role.EXHIBITOR and ines_now.exhibitor_id == exhibitor.id


async def test_an_invited_organiser_can_be_revoked_and_invites_expire(
    emulator: TelegramEmulator, runner: BotRunner
) -> None:
    boss = emulator.user("Hélène", user_id=BOSS)
    services = await runner.start(organiser_ids=str(BOSS), organiser_invite_days=7)
    await register_organiser(boss)
    invites = OrganiserInviteRepository(services.db)
    paul = emulator.user("Paul")
    await register_organiser(paul, f"o-{await invites.create()}")
    assert (await services.registration.participant(paul.id)).role == Role.ORGANISER  # type: ignore[union-attr]

    # only invited organisers are listed: those of ORGANISER_IDS are the deployment's
    await boss.send("/organisers")
    listing = await boss.next_reply()
    assert "Paul" in listing.text and "Hélène" not in listing.text
    await boss.press("Retirer Paul", listing)
    await boss.wait_for_text("Retirer à Paul l'accès organisateur ?")
    await boss.press("Oui, retirer", listing)
    await boss.wait_for_text("Paul n'a plus l'accès organisateur.")
    await paul.wait_for_text("vous a retiré l'accès organisateur")
    assert (await services.registration.participant(paul.id)).role == Role.ATTENDEE  # type: ignore[union-attr]
    paul.skip_unread()
    await paul.send("/reps")
    assert "réservée à l'équipe d'organisation" in (await paul.next_reply()).text

    # a link older than the setting's 7 days no longer works; a fresh one does
    stale = await invites.create()
    async with services.db.transaction() as tx:
        old = (utcnow() - timedelta(days=7, minutes=1)).isoformat()
        await tx.execute("UPDATE organiser_invites SET created_at = ? WHERE token = ?", (old, stale))
    eve = emulator.user("Ève")
    await eve.open_deep_link(f"o-{stale}")
    assert "n'est pas (ou plus) valable" in (await eve.next_reply()).text
    assert await services.registration.participant(eve.id) is None
    await register_organiser(eve, f"o-{await invites.create()}")
    assert (await services.registration.participant(eve.id)).role == Role.ORGANISER  # type: ignore[union-attr]


async def test_revoking_is_for_organisers_only(emulator: TelegramEmulator, runner: BotRunner) -> None:
    services = await runner.start(organiser_ids=str(BOSS))
    invites = OrganiserInviteRepository(services.db)
    paul, camille = emulator.user("Paul"), emulator.user("Camille")
    await register_organiser(paul, f"o-{await invites.create()}")
    await register_attendee(camille)
    paul_id = (await services.registration.participant(paul.id)).id  # type: ignore[union-attr]
    await camille.send("/organisers")
    assert "réservée à l'équipe d'organisation" in (await camille.next_reply()).text
    query = await camille.press_raw(f"orgs:revoke:{paul_id}:yes")
    assert "réservée" in (await camille.callback_answer(query))["text"]
    assert (await services.registration.participant(paul.id)).role == Role.ORGANISER  # type: ignore[union-attr]
