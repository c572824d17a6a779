"""Text people type: what it may not contain, so no page, email or document is malformed by it.

Characters XML 1.0 cannot carry (C0 controls other than tab, newline and carriage return) and DEL
never belong in a name, address, description or reference; PostgreSQL text cannot hold a NUL.
Line breaks belong only in text written as paragraphs (a description, a note, a reason).
"""

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "Remove the control character (an invisible character pasted with the text)."


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]")
LINE_BREAK_MESSAGE = "Keep this on one line."


def has_line_breaks(value: str) -> bool:
    """A name or reference runs into email subjects and document headers, where a line break splits or injects one."""
    return LINE_BREAKS.search(value) is not None
