"""Markdown policies rendered safely, and what changed between two versions.

Rendering is markdown-it-py's CommonMark with HTML off: a `<script>` or an `onclick` in a
policy is shown as text, never passed through, and its link check refuses `javascript:`,
`vbscript:`, `file:` and `data:` links. Tables and strikethrough are on, as policies use them.
"""

import difflib
from dataclasses import dataclass

from markdown_it import MarkdownIt

_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def render(markdown: str) -> str:
    """Safe HTML of a policy's Markdown: escaped raw HTML, no script links."""
    return str(_RENDERER.render(markdown))


@dataclass(frozen=True)
class DiffLine:
    """One line of a comparison: `kind` is "added", "removed", "same" or "gap" (a skipped stretch)."""

    kind: str
    text: str


def changes(before: str, after: str, context: int = 2) -> list[DiffLine]:
    """The lines added and removed from `before` to `after`, with `context` unchanged lines around each change."""
    result: list[DiffLine] = []
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for number, group in enumerate(matcher.get_grouped_opcodes(context)):
        if number:
            result.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                result += [DiffLine("same", line) for line in old[i1:i2]]
                continue
            result += [DiffLine("removed", line) for line in old[i1:i2]]
            result += [DiffLine("added", line) for line in new[j1:j2]]
    return result
