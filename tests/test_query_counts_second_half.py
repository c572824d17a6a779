"""The second half of tests/test_query_counts.py's pages, in a file of its own so another worker takes them."""

from tests.test_query_counts import SECOND_HALF, check_pages


def test_the_query_count_does_not_grow_with_the_data(app, world):
    check_pages(app, world, SECOND_HALF)
