"""The event file: validation with paths, and the meeting grid."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.event import Event, EventError, load_event
from tests.conftest import EXAMPLE_EVENT

MINIMAL = """
name = { fr = "Journée", en = "Day" }
timezone = "Europe/Paris"
venue = "Lyon"
slot_minutes = 15
[[days]]
date = 2027-03-16
windows = [{ start = 09:00:00, end = 10:00:00 }]
[[themes]]
id = "health"
fr = "Santé"
en = "Health"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "event.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_is_the_reference_day(event: Event) -> None:
    assert event.timezone == "Europe/Paris"
    assert [t.id for t in event.themes] == [
        "services",
        "urban-agriculture",
        "circular-economy",
        "health",
        "construction",
        "renovation",
        "mobility",
    ]
    assert event.theme("circular-economy").label("fr") == "Économie circulaire"  # type: ignore[union-attr]
    assert len(event.slots) == 24  # 12 in the morning, 12 in the afternoon
    first, last = event.slots[0], event.slots[-1]
    assert (first.start.time(), first.end.time()) == (time(9, 30), time(9, 45))
    assert (last.start.time(), last.end.time()) == (time(16, 45), time(17, 0))
    assert not any(s.start.time() < time(14) and s.end.time() > time(12, 30) for s in event.slots)


def test_slots_are_timezone_aware_and_keyed_in_utc(event: Event) -> None:
    first = event.slots[0]
    assert first.start.tzinfo is not None and first.start.utcoffset() is not None
    assert first.key == "20270316T0830Z"  # 09:30 in Paris in March is 08:30 UTC


def test_breaks_remove_slots(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "windows = [{ start = 09:00:00, end = 10:00:00 }]",
        "windows = [{ start = 09:00:00, end = 10:00:00 }]\nbreaks = [{ start = 09:15:00, end = 09:30:00 }]",
    )
    event = load_event(write(tmp_path, text))
    assert [s.start.time() for s in event.slots] == [time(9), time(9, 30), time(9, 45)]


def test_a_slot_that_does_not_fit_the_window_is_dropped(tmp_path: Path) -> None:
    event = load_event(write(tmp_path, MINIMAL.replace("slot_minutes = 15", "slot_minutes = 25")))
    assert [s.start.time() for s in event.slots] == [time(9), time(9, 25)]


def test_daylight_saving_time_is_respected(tmp_path: Path) -> None:
    event = load_event(write(tmp_path, MINIMAL.replace("2027-03-16", "2027-07-01")))
    assert event.slots[0].key == "20270701T0700Z"  # summer time: UTC+2
    assert event.slots_on(date(2027, 7, 1)) == list(event.slots)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('timezone = "Europe/Paris"', 'timezone = "Europe/Lyon"'), "timezone: 'Europe/Lyon' is not an IANA timezone"),
        (("end = 10:00:00", "end = 08:00:00"), "days[0].windows[0]: end 08:00 must be after start 09:00"),
        (('id = "health"', 'id = "Health Care"'), "themes[0].id"),
        (("slot_minutes = 15", "slot_minutes = 90"), "days[0] (2027-03-16) has no 90-minute slot"),
        (("venue =", "venu ="), "venu: Extra inputs are not permitted"),
        (('fr = "Santé"', 'fr = ""'), "themes[0].fr"),
        (("slot_minutes = 15", 'slot_minutes = "quinze"'), "slot_minutes"),
    ],
)
def test_errors_name_the_path_of_the_bad_field(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(EventError) as err:
        load_event(write(tmp_path, MINIMAL.replace(*change)))
    assert message in str(err.value)


def test_duplicate_themes_and_overlapping_windows_are_refused(tmp_path: Path) -> None:
    twice = MINIMAL + '[[themes]]\nid = "health"\nfr = "Santé bis"\nen = "Health again"\n'
    with pytest.raises(EventError, match="theme ids must be unique: health"):
        load_event(write(tmp_path, twice))
    overlapping = MINIMAL.replace(
        "windows = [{ start = 09:00:00, end = 10:00:00 }]",
        "windows = [{ start = 09:00:00, end = 10:00:00 }, { start = 09:30:00, end = 11:00:00 }]",
    )
    with pytest.raises(EventError, match="overlap"):
        load_event(write(tmp_path, overlapping))


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(EventError, match="no such event file"):
        load_event(tmp_path / "nope.toml")
    with pytest.raises(EventError, match="not valid TOML"):
        load_event(write(tmp_path, "name = ["))


def test_a_file_saved_with_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "event.toml"
    path.write_bytes("\ufeff".encode() + MINIMAL.encode())
    assert load_event(path).venue == "Lyon"


def test_example_path_is_the_default() -> None:
    assert EXAMPLE_EVENT.exists()
