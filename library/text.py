"""Markdown policies rendered safely, and what changed between two versions.

Rendering is markdown-it-py's CommonMark with HTML off: a `<script>` or an `onclick` in a
policy is shown as text, never passed through, and its link check refuses `javascript:`,
`vbscript:`, `file:` and `data:` links. Tables and strikethrough are on, as policies use them; headings
sit under the page's own (`#` is an h3).
"""

import difflib
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

HEADING_SHIFT = 2  # the page's h1 is the template and its h2 the section holding the policy: `#` shows as h3


def _shift_headings(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + HEADING_SHIFT, 6)}"


_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
_RENDERER.core.ruler.push("shift_headings", _shift_headings)


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
