"""Bounds on the text a client sends: every name and id is checked here before it is stored.

The limits fit the database columns (``db/models.py``), so no value is cut short or
refused by the database itself. Control characters (below 0x20, and DEL) are refused:
they cannot be shown, PostgreSQL refuses NUL, and they hide one name behind another.
"""

from __future__ import annotations

import re

from listenlens.service.domain.errors import InvalidField

MAX_NAME = 200  # rep, team, external_id: String(200) columns
MAX_FILENAME = 255
MAX_OPTION = 100  # channels, rep_hint
MAX_ID = 40  # call ids: String(40)
MAX_URL = 2000

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f]*$"


def text_field(name: str, value: str | None, max_len: int = MAX_NAME) -> str | None:
    """``value`` stripped; None when blank; ``InvalidField`` when too long or holding control characters."""
    if value is None:
        return None
    if CONTROL.search(value):
        raise InvalidField(f"{name} contains a control character (a byte below 0x20, or DEL): remove it")
    value = value.strip()
    if len(value) > max_len:
        raise InvalidField(f"{name} is {len(value)} characters long; the limit is {max_len}")
    return value or None


def filename_field(value: str | None) -> str | None:
    """The uploaded file's name as the client gave it (checked like any text field)."""
    return text_field("the file name", value, MAX_FILENAME)


def plausible_id(value: str) -> bool:
    """Could ``value`` be an id the service made? Anything else is answered as not found."""
    return 0 < len(value) <= MAX_ID and not CONTROL.search(value)
