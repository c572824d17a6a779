"""Skill levels and a consortium's skills and gaps: which categories have nobody, or nobody at the wanted level.

Pure: no Flask, no database; the services feed it rows and render what it answers.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class SkillLevel(enum.Enum):
    """Self-assessed, from someone who can help with the basics to someone others come to."""

    BASIC = "basic"
    WORKING = "working"
    SKILLED = "skilled"
    EXPERT = "expert"

    @property
    def rank(self) -> int:
        return list(SkillLevel).index(self) + 1

    @property
    def label(self) -> str:
        return {
            "basic": "Basic: can help with simple tasks",
            "working": "Working: does it regularly",
            "skilled": "Skilled: can lead the work",
            "expert": "Expert: others come to them",
        }[self.value]

    @property
    def short(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True)
class Wanted:
    category_id: int
    name: str
    wanted_level: SkillLevel


@dataclass(frozen=True)
class Held:
    category_id: int
    level: SkillLevel
    spare_hours: int


@dataclass(frozen=True)
class Coverage:
    """One category across a consortium (or the platform): how many people, the best level, the hours spare."""

    category_id: int
    name: str
    wanted_level: SkillLevel
    people: int
    best_level: SkillLevel | None
    spare_hours: int

    @property
    def gap(self) -> str | None:
        """Why the category is a gap, or None when someone is at the wanted level or above."""
        if self.best_level is None:
            return "nobody"
        if self.best_level.rank < self.wanted_level.rank:
            return "below the wanted level"
        return None


def coverage(wanted: Iterable[Wanted], held: Iterable[Held]) -> list[Coverage]:
    """Every wanted category, in the order given, with what is held in it; skills in other categories are left
    out (a category taken off the list is no longer wanted)."""
    people: dict[int, int] = {}
    best: dict[int, SkillLevel] = {}
    hours: dict[int, int] = {}
    for h in held:
        people[h.category_id] = people.get(h.category_id, 0) + 1
        hours[h.category_id] = hours.get(h.category_id, 0) + h.spare_hours
        if h.category_id not in best or h.level.rank > best[h.category_id].rank:
            best[h.category_id] = h.level
    return [
        Coverage(
            w.category_id,
            w.name,
            w.wanted_level,
            people.get(w.category_id, 0),
            best.get(w.category_id),
            hours.get(w.category_id, 0),
        )
        for w in wanted
    ]


def share_percent(part_pence: int, whole_pence: int) -> int | None:
    """`part` as a whole percentage of `whole`, half-up; None when there is no whole to share."""
    if whole_pence <= 0:
        return None
    return (200 * part_pence + whole_pence) // (2 * whole_pence)
