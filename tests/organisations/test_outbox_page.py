"""The admin's outbox page: filtered by kind and state, paged, and each HTML email shown sandboxed from its own route."""

from datetime import timedelta

import pytest

from kernel.clock import utcnow
from kernel.extensions import db
from organisations.models import OutboxMessage
from tests.factories import sign_in

HOSTILE = '<p style="color: green">Hello</p><script>alert(1)</script><img src="https://evil.example/x.png">'


def message(n: int, kind: str, *, sent=False, failed=False, attempts=0, html="<p>Hi</p>") -> OutboxMessage:
    found = OutboxMessage(
        kind=kind,
        to_email=f"m{n}@example.org",
        subject=f"Message {n}",
        body_text="Hi",
        body_html=html,
        created_at=utcnow() + timedelta(seconds=n),
        sent_at=utcnow() if sent else None,
        failed_at=utcnow() if failed else None,
        attempts=attempts,
    )
    db.session.add(found)
    return found


@pytest.fixture
def mixed(world):
    """Sent, failed, retrying and unsent messages of two kinds."""
    made = [
        message(1, "pool_opened", sent=True),
        message(2, "pool_opened", failed=True, attempts=8),
        message(3, "invoice_issued", attempts=2),
        message(4, "invoice_issued"),
        message(5, "pool_opened"),
    ]
    db.session.commit()
    return made


def listed(client, query: str) -> list[str]:
    page = client.get(f"/admin/outbox{query}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    return [f"m{n}" for n in range(1, 6) if f"m{n}@example.org" in text]


def test_the_outbox_filters_by_kind_and_state(client, world, mixed):
    sign_in(client, world.admin)
    assert listed(client, "") == ["m1", "m2", "m3", "m4", "m5"]
    assert listed(client, "?kind=pool_opened") == ["m1", "m2", "m5"]
    assert listed(client, "?state=sent") == ["m1"]
    assert listed(client, "?state=failed") == ["m2"]
    assert listed(client, "?state=retrying") == ["m3"]
    assert listed(client, "?state=not+sent") == ["m4", "m5"]
    assert listed(client, "?kind=invoice_issued&state=not+sent") == ["m4"]
    assert listed(client, "?kind=nonsense&state=nonsense") == ["m1", "m2", "m3", "m4", "m5"]


def test_the_filter_form_offers_the_kinds_written_and_keeps_the_choice(client, world, mixed):
    sign_in(client, world.admin)
    text = client.get("/admin/outbox?kind=invoice_issued").get_data(as_text=True)
    assert '<option value="invoice_issued" selected>invoice_issued</option>' in text
    assert '<option value="pool_opened">pool_opened</option>' in text
    assert "2 messages shown by the filter" in text


def test_the_pages_keep_the_filter(client, world):
    for n in range(51):
        message(n, "pool_opened")
    message(99, "invoice_issued")
    db.session.commit()
    sign_in(client, world.admin)
    text = client.get("/admin/outbox?kind=pool_opened").get_data(as_text=True)
    assert "Page 1 of 2" in text and 'href="/admin/outbox?kind=pool_opened&amp;page=2"' in text
    assert "m99@example.org" not in client.get("/admin/outbox?kind=pool_opened&page=2").get_data(as_text=True)


def test_the_html_email_is_framed_sandboxed_from_a_route_that_runs_and_loads_nothing(client, world):
    found = message(1, "pool_opened", html=HOSTILE)
    db.session.commit()
    sign_in(client, world.admin)

    page = client.get(f"/admin/outbox/{found.id}").get_data(as_text=True)
    assert (
        f'<iframe class="email-frame w-100 border" sandbox="" height="600" title="The email as HTML" src="/admin/outbox/{found.id}/html"></iframe>'
        in page
    )
    assert "<script>alert(1)</script>" not in page

    framed = client.get(f"/admin/outbox/{found.id}/html")
    assert framed.status_code == 200 and framed.mimetype == "text/html"
    assert framed.get_data(as_text=True) == HOSTILE
    csp = framed.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "style-src 'unsafe-inline'" in csp and "script-src" not in csp
    assert "frame-ancestors 'self'" in csp and "sandbox" in csp
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'none'" in client.get(f"/admin/outbox/{found.id}").headers["Content-Security-Policy"]


@pytest.mark.parametrize("role", ["secretary", "member", "supplier"])
def test_only_admins_read_an_emails_html(client, world, role):
    found = message(1, "pool_opened")
    db.session.commit()
    sign_in(client, world.user_for(role))
    assert client.get(f"/admin/outbox/{found.id}/html").status_code == 403
