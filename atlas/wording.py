"""Small pieces of English every output shares, so that no output says "1 days" or "73 matchs"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``n`` and the noun in the right number: ``1 day``, ``2 days``, ``3 matches``, ``1 possible breach``.

    The plural is ``plural_form`` when given, else the singular with ``es`` after a
    sibilant ending (``match`` → ``matches``, ``breach`` → ``breaches``, ``box``) and ``s``
    otherwise. Only the last word of a phrase changes. The number is grouped in thousands as
    people read it (``2,393,374 contacts``), in every output that says a count in words.
    """
    return f"{n:,} {noun(n, singular, plural_form)}" if isinstance(n, int) else f"{n} {noun(n, singular, plural_form)}"


def quoted(text: object) -> str:
    """A name or header as written, in single quotes, for people: ``'Summary'``, ``'O'Brien'``. Not
    Python's ``repr`` (which switches to double quotes around an apostrophe and writes a line break
    as ``\\n``): a line break or tab inside reads as a space."""
    return "'" + " ".join(str(text).split()) + "'" if str(text).strip() else "''"


def quoted_list(items: Iterable[object], conjunction: str = "and") -> str:
    """Items quoted (:func:`quoted`) and joined as people write a list: ``'Case' and 'OP-1'``,
    ``'a', 'b' and 'c'``; ``none`` when there are none. Never a printed Python list."""
    shown = [quoted(i) for i in items]
    if not shown:
        return "none"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} {conjunction} {shown[-1]}"


def noun(n: int, singular: str, plural_form: str | None = None) -> str:
    """The noun alone, in the number ``n`` calls for (see :func:`plural`)."""
    if n == 1:
        return singular
    if plural_form is not None:
        return plural_form
    if singular.endswith(("s", "sh", "ch", "x", "z")):
        return singular + "es"
    return singular + "s"


@dataclass(frozen=True)
class Pronouns:
    """How a statement refers to one person: ``he``/``him``/``his``, ``she``/``her``/``her``
    or ``they``/``them``/``their``.

    A suspect may be a woman and a victim a man; the data cannot tell, and a witness
    statement that gets it wrong is a statement to correct under cross-examination. So the
    pronouns come from the case (``pronouns`` of a ``[[party]]`` in case.toml) and are
    ``they`` when the case does not say (:data:`UNSTATED`), never guessed from a name.
    """

    subject: str
    object: str
    possessive: str
    """Before a noun: *his* device, *her* home, *their* account."""
    plural_verb: bool
    """``they`` takes the plural verb: *they were*, *they report*."""

    def verb(self, singular: str, plural_form: str) -> str:
        """The verb agreeing with :attr:`subject`: ``verb("was", "were")``."""
        return plural_form if self.plural_verb else singular


PRONOUNS: Final[dict[str, Pronouns]] = {
    "he": Pronouns("he", "him", "his", False),
    "she": Pronouns("she", "her", "her", False),
    "they": Pronouns("they", "them", "their", True),
}
"""The pronouns case.toml accepts, by their subject form (``he/him`` and the like are accepted too)."""

UNSTATED: Final = PRONOUNS["they"]


def pronouns_named(value: str) -> Pronouns | None:
    """``he``, ``he/him``, ``She/Her``, ``they/them`` → the pronouns; ``""`` → :data:`UNSTATED`;
    anything else → ``None`` (the caller says what is accepted)."""
    key = value.strip().lower().split("/", 1)[0].strip()
    if not key:
        return UNSTATED
    return PRONOUNS.get(key)


CHANNEL_NAMES: Final[dict[str, str]] = {
    "sms": "SMS", "mms": "MMS", "imessage": "iMessage", "rcs": "RCS", "voice": "Phone call", "video": "Video call",
    "facetime": "FaceTime", "whatsapp": "WhatsApp", "whatsapp-call": "WhatsApp call", "instagram": "Instagram",
    "facebook": "Facebook", "messenger": "Messenger", "snapchat": "Snapchat", "telegram": "Telegram",
    "signal": "Signal", "x": "X (Twitter)", "email": "E-mail",
    "cellular": "mobile network (the records differ on the channel)",
}
"""How each contact channel is named for a reader (a channel not listed is shown as the data names it).
``cellular`` is a channel group (:data:`atlas.contacts.CHANNEL_GROUPS`): the contact graph files contacts
under it whose records name different channels of the network (a handset's MMS that the call data record
shows as SMS); the demo's top pairs and the graph's edge labels showed the key (rejected-ex 71101)."""

LOCATION_CHANNEL_NAMES: Final[dict[str, str]] = {
    "google-location": "Google location history", "gps": "GPS", "cell": "cell site", "location": "location",
}
"""How each source of positions is named for a reader: a chart legend, a table or a sentence said
"google-location/gps positions", the store's keys (rejected-ex seed 61023)."""


def channel_name(channel: str | Sequence[str]) -> str:
    """A channel for a reader: ``SMS``; a contact whose records name different channels of one network group
    (``["mms", "sms"]``: the handset's database says MMS, the call data record SMS) is ``MMS or SMS (the records
    differ)``, never a channel of its own such as ``MMS / SMS``, and not put under either (that would choose).
    A presence whose positions come from several sources (``google-location/gps``) names each source:
    ``Google location history and GPS`` (the records do not differ; each source recorded positions).

    Give the channel keys as data (a list or tuple, as the contact holds them): each is one channel, even
    one whose name holds a ``/`` (a tool's app label, ``textnow/2ndline``). A ``str`` is a key as the
    analyses' results still carry it, joined with ``/`` (``mms/sms``), and is split: the outputs that read
    those results have not all been given the list yet."""
    keys = [c for c in (str(channel).split("/") if isinstance(channel, str) else channel) if c]
    if keys and all(k in LOCATION_CHANNEL_NAMES for k in keys):
        return location_sources(keys)
    parts = list(dict.fromkeys(CHANNEL_NAMES.get(c, LOCATION_CHANNEL_NAMES.get(c, c)) for c in keys))
    if len(parts) > 1:
        return " or ".join(parts) + " (the records differ)"
    return parts[0] if parts else "unknown"


def channels_said(channels: Iterable[str]) -> str:
    """A list of contact channels for a reader, each as :func:`channel_name` names it, once, in the
    order given: ``Instagram, SMS, Phone call, WhatsApp`` (the tables and lines showed the store's keys,
    ``instagram, sms, voice, whatsapp``)."""
    return ", ".join(dict.fromkeys(channel_name(c) for c in channels)) or "unknown"


def location_sources(channels: Iterable[str]) -> str:
    """The sources of a set of positions for a reader: ``Google location history and GPS``; ``location``
    when none is named."""
    names = list(dict.fromkeys(LOCATION_CHANNEL_NAMES.get(c, CHANNEL_NAMES.get(c, c)) for c in channels if c))
    if not names:
        return "location"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


__all__ = ["CHANNEL_NAMES", "LOCATION_CHANNEL_NAMES", "PRONOUNS", "UNSTATED", "Pronouns", "channel_name", "channels_said",
           "location_sources", "noun", "plural", "pronouns_named"]
