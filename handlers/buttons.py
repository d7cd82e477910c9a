"""Button families: each one builds its callback data and the anchored pattern its handler is
registered with, from one definition. Notices name a button by its action (bot/services/notices.py);
``ACTIONS`` says which family each action is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton

ID = r"\d{1,12}"
INDEX = r"\d{1,4}"


@dataclass(frozen=True)
class Family:
    prefix: str
    fields: tuple[str, ...] = ()  # a regular expression for each argument (inner groups non-capturing)
    optional: int = 0  # how many of the last fields may be left out, together

    def __post_init__(self) -> None:
        required = len(self.fields) - self.optional
        head = "".join(f":({field})" for field in self.fields[:required])
        tail = "".join(f":({field})" for field in self.fields[required:])
        pattern = "^" + re.escape(self.prefix) + head + (f"(?:{tail})?" if tail else "") + "$"
        object.__setattr__(self, "pattern", pattern)
        object.__setattr__(self, "_compiled", re.compile(pattern))

    pattern: str = field(init=False)  # the anchored pattern its handler is registered with
    _compiled: re.Pattern[str] = field(init=False, repr=False)

    def data(self, *args: int | str) -> str:
        data = ":".join((self.prefix, *map(str, args)))
        if not self._compiled.match(data):  # a button its own handler would never see
            raise ValueError(f"{data!r} does not match the pattern of {self.prefix!r}")
        return data

    @property
    def pages(self) -> str:
        """The template paged lists fill with the page number (handlers/paging.py)."""
        return self.prefix + ":{page}"

    def button(self, label: str, *args: int | str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=self.data(*args))


def family(prefix: str, *fields: str, optional: int = 0) -> Family:
    return Family(prefix, fields, optional)  # type: ignore[call-arg]


PAGE = r"\d{1,4}"
LANGUAGE = "fr|en"
SLUG = r"[a-z0-9_-]{1,32}"
TOKEN = r"[xo][A-Za-z0-9_-]{1,43}"

# The main menu; the page number between ‹ and › of any paged list
MENU = family("menu", "exhibitors|suggestions|agenda|programme|search|profile|language|help|reps")
NOOP_PAGE = family("noop")

# Registration: the language, the consent, each step; joining a stand or the organisers from a link.
# Where a registration began: a (plain), x<token> (exhibitor invite), o<token> (organiser invite),
# e<id> (a stand's QR code: the exhibitor's card follows the registration)
ORIGIN = r"a|[xo][A-Za-z0-9_-]{1,43}|e\d{1,9}"
REGISTRATION_LANGUAGE = family("reg:lang", LANGUAGE, ORIGIN)
CONSENT = family("reg:consent", "yes|no|back", LANGUAGE, ORIGIN)
STEP = family(
    "reg",
    "name|organisation|orgtype|jobtitle|themes|lookingfor|summary",
    "keep|skip|back|done|confirm|t:[a-z0-9_-]{1,32}(?::[01])?|o:[a-z_]{1,20}|e:[a-z]{1,20}",
)
JOIN = family("join", "yes|no", TOKEN)

# Profile, language, personal data
EDIT_PROFILE = family("me:edit", "name|organisation|orgtype|jobtitle|themes|lookingfor")
FORGET = family("forget", "yes|no")
CHOOSE_LANGUAGE = family("lang", LANGUAGE)

# The directory: themes, a theme's exhibitors a page at a time, a card (from a list, or alone),
# suggestions, search
THEMES = family("dir:themes")
EXHIBITORS = family("dir:l", "[a-z0-9_-]{0,32}", PAGE)
CARD = family("dir:e", r"\d{1,9}", "[a-z0-9_-]{0,32}", PAGE, optional=2)
SUGGESTIONS = family("dir:sug", PAGE)
SEARCH = family("dir:search")

# The programme: its pages, one action each (home, themes, d:<day>:<half>[:<page>], t:<theme>[:<page>],
# s:<session>, f:<session>:<1 to follow, 0 to stop following>)
PROGRAMME = family(
    "pg", rf"home|themes|d:\d{{1,2}}:[01](?::\d{{1,3}})?|t:{SLUG}(?::\d{{1,3}})?|s:{SLUG}|f:{SLUG}(?::[01])?"
)
# Organisers change a session: pick it (a page at a time), then move, re-room or cancel it
SESSIONS_PAGE = family("pgcp", r"\d{1,3}")
CHANGE_SESSION = family("pgc", SLUG, "move|room|cancel|cancelok", optional=1)

# Organisers: announcements, their history, closing a slot, representatives and organisers
BROADCAST = family(
    "bc",
    r"aud:(?:all|attendees|reps|theme:[a-z0-9_-]{1,32}|slots:\d{1,4}-\d{1,4})"
    r"|themes|slots|from:\d{1,4}|when:(?:now|15|60)|send|cancel",
)
BROADCASTS_PAGE = family("bch", PAGE)
BLOCK = family("blk", PAGE, r"all|\d{1,9}|p:\d{1,3}|ok:(?:all|\d{1,9})", optional=1)
REPRESENTATIVES_PAGE = family("reps:p", PAGE)
REVOKE_REPRESENTATIVE = family("reps:revoke", ID, "yes|no", optional=1)
ORGANISERS_PAGE = family("orgs:p", PAGE)
REVOKE_ORGANISER = family("orgs:revoke", ID, "yes|no", optional=1)

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

# Wishes for the planner: ⭐ on a card; /wishes (up, down, remove; its pages); a stand's wishes: its
# list (pages), taking one out, a theme then an organisation type to choose from, the list to mark people
# in (source: q = those who sent requests, or <theme index|->.<org type|->) and marking one
WISH = family("ws:t", ID)
WISHES = family("ws", "up|down|del", ID)
WISHES_PAGE = family("ws:p", PAGE)
SOURCE = r"q|(?:\d{1,2}|-)\.(?:[a-z_]{1,20}|-)"
SW_HOME = family("sw:h", PAGE)
SW_DROP = family("sw:x", ID, PAGE)
SW_THEMES = family("sw:th")
SW_ORG = family("sw:o", r"\d{1,2}|-")
SW_LIST = family("sw:l", SOURCE, PAGE)
SW_TOGGLE = family("sw:t", ID, SOURCE, PAGE)

# The speed-meeting plan: run it (for a day by its index, or every day), publish, plan again, set aside
PLAN = family("pl", r"run:(?:\d{1,2}|all)|pub:\d{1,9}|drop:\d{1,9}")

# After the meeting: rating it, sharing one's details (the ticked ones as letters: e-mail, phone, website)
# and sending them; /contact (set or clear a detail); the stand's /leads (a note, a follow-up state; pages;
# export)
RATE = family("af:r", ID, "[1-5]")
SHARE = family("af:s", ID, "[epw]{0,3}")
SHARE_GO = family("af:go", ID, "[epw]{1,3}")
CONTACT = family("ct", "email|phone|website", "set|clear")
LEAD = family("ld", ID, "note|to_contact|contacted|not_relevant", PAGE)
LEADS_PAGE = family("ld:p", PAGE)
LEADS_EXPORT = family("ld:x", "xlsx|csv|plain")

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
