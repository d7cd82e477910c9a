"""Button families: each one builds its callback data and the anchored pattern its handler is
registered with, from one definition. Notices name a button by its action (bot/services/notices.py);
``ACTIONS`` says which family each action is."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton

ID = r"\d{1,12}"
INDEX = r"\d{1,4}"


@dataclass(frozen=True)
class Family:
    prefix: str
    fields: tuple[str, ...] = ()  # a regular expression for each argument

    def data(self, *args: int | str) -> str:
        if len(args) != len(self.fields):
            raise ValueError(f"{self.prefix} takes {len(self.fields)} arguments, not {len(args)}")
        return ":".join((self.prefix, *map(str, args)))

    @property
    def pattern(self) -> str:
        return "^" + re.escape(self.prefix) + "".join(f":({field})" for field in self.fields) + "$"

    def button(self, label: str, *args: int | str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=self.data(*args))


def family(prefix: str, *fields: str) -> Family:
    return Family(prefix, fields)


# The main menu
MENU = family("menu", "exhibitors|suggestions|agenda|programme|search|profile|language|help|reps")

# Requesting a meeting: the stand's card, the day and time, the note, the summary
REQUEST = family("mt:new", r"\d{1,9}")
PICK_DAY = family("mt:pick", r"\d{1,9}", r"\d{1,3}")
SLOT = family("mt:slot", r"\d{1,9}", INDEX)
SLOT_DESPITE_CLASH = family("mt:slotok", r"\d{1,9}", INDEX)
DRAFT = family("mt:draft", "skip|send|cancel")
NOOP = family("mt:noop")  # a half-day's header in the slot picker

# Answering one: the stand accepts, declines (with a reason) or proposes another time
ACCEPT = family("mt:acc", ID)
DECLINE = family("mt:dec", ID)
DECLINE_REASON = family("mt:decr", ID, "full|topic|other")
SHOW_REQUEST = family("mt:show", ID)
PROPOSE = family("mt:prop", ID, r"\d{1,3}")
PROPOSED_SLOT = family("mt:ps", ID, INDEX)
PROPOSAL = family("mt:pa", ID, "yes|no")
MOVE = family("mt:mv", ID, "yes|no")

# Afterwards: withdrawing a request, cancelling a meeting, saying whether it took place
WITHDRAW = family("mt:wd", ID)
CANCEL = family("mt:can", ID)
CANCEL_REASON = family("mt:canr", ID, "unavailable|other")
ATTENDANCE = family("mt:att", ID, "met|no_show")

# Under a meeting's reminder: "I'll be 5 minutes late"
LATE = family("rm:late", ID)

# The agenda, a page at a time
AGENDA_PAGE = family("ag:p", INDEX)

ACTIONS: dict[str, Family] = {
    "menu": MENU,
    "meeting.request": REQUEST,
    "meeting.accept": ACCEPT,
    "meeting.decline": DECLINE,
    "meeting.propose": PROPOSE,
    "meeting.proposal": PROPOSAL,
    "meeting.move": MOVE,
    "meeting.cancel": CANCEL,
    "meeting.attendance": ATTENDANCE,
}
