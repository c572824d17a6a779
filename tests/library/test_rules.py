"""The pure parts: document types by their bytes, safe Markdown, what changed, measure totals."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from library import documents, text
from library.figures import MeasureTotal, RecordFigure, adoption_percent, measure_totals
from tests.library.conftest import PDF, docx, odt


def test_documents_are_known_by_their_contents_not_their_names():
    assert documents.check(PDF).media_type == documents.PDF
    assert documents.check(docx()).extension == "docx"
    assert documents.check(odt()).extension == "odt"
    for bad in (b"", b"PK\x03\x04 broken zip", b"<html>", b"GIF89a"):
        with pytest.raises(documents.NotAPolicyDocument):
            documents.check(bad)
    with pytest.raises(documents.NotAPolicyDocument, match="larger than 1 MB"):
        documents.check(PDF + b"0" * 2_000_000, max_bytes=1024 * 1024)


def test_markdown_is_rendered_without_raw_html_or_script_links():
    html = text.render(
        '# Title\n\n<img src=x onerror="alert(1)">\n\n[a](javascript:alert(1)) [b](https://example.org)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n'
    )
    assert "<h3>Title</h3>" in html and "<img" not in html and "&lt;img" in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.org">b</a>' in html and "<table>" in html


def test_changes_show_removed_and_added_lines_with_context():
    before = "\n".join(f"line {n}" for n in range(1, 11))
    after = before.replace("line 5", "line five")
    assert [(d.kind, d.text) for d in text.changes(before, after)] == [
        ("same", "line 3"),
        ("same", "line 4"),
        ("removed", "line 5"),
        ("added", "line five"),
        ("same", "line 6"),
        ("same", "line 7"),
    ]
    assert text.changes(before, before) == []


figures = st.lists(
    st.builds(
        RecordFigure, st.sampled_from(["Jobs", "Volunteers"]), st.just("people"), st.integers(0, 10**6), st.booleans()
    )
)


@given(figures)
def test_measure_totals_add_up_to_every_figure_once(records):
    totals = measure_totals(records)
    assert sum(t.verified + t.unverified for t in totals) == sum(r.value for r in records)
    assert sum(t.records for t in totals) == len(records)
    for t in totals:
        assert t.verified == sum(r.value for r in records if r.measure == t.measure and r.verified)


def test_adoption_percent_has_no_figure_without_anything_to_adopt():
    assert adoption_percent(0, 0) is None
    assert str(adoption_percent(1, 3)) == "33.3"
    assert measure_totals([]) == [] and MeasureTotal("a", "b", 1, 0, 1).verified == 1


@given(st.binary(max_size=2048))
def test_any_bytes_are_either_a_known_document_or_refused_with_a_reason(data):
    try:
        checked = documents.check(data)
    except documents.NotAPolicyDocument as refused:
        assert str(refused)
    else:
        assert checked.media_type in documents.EXTENSIONS and checked.size == len(data)


lines = st.lists(st.sampled_from(["a", "b", "c", "d", ""]), max_size=30)


@given(lines, lines)
def test_with_full_context_the_changes_rebuild_both_versions(before, after):
    found = text.changes("\n".join(before), "\n".join(after), context=len(before) + len(after))
    old = [d.text for d in found if d.kind in ("same", "removed")]
    new = [d.text for d in found if d.kind in ("same", "added")]
    if found:
        assert old == "\n".join(before).splitlines() and new == "\n".join(after).splitlines()
    else:
        assert "\n".join(before).splitlines() == "\n".join(after).splitlines()
