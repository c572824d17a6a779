"""The second half of tests/test_query_counts.py's pages, in a file of its own so another worker takes them."""

import pytest

from tests.test_query_counts import SECOND_HALF, check_page


@pytest.mark.parametrize("page", SECOND_HALF)
def test_the_query_count_does_not_grow_with_the_data(client, world, page):
    check_page(client, world, page)
