"""The design system: Bootstrap served by the app itself under the strict CSP, and the form macros' markup."""

import re
from pathlib import Path

from kernel.extensions import db
from tests import factories
from tests.factories import sign_in

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ASSETS = re.compile(r'(?:href|src)="(/[^"]+\.(?:css|js|svg))"')


def test_bootstrap_css_and_js_are_served_by_the_app_not_a_cdn(client, world):
    sign_in(client, world.member_user)
    page = client.get("/")
    html = page.get_data(as_text=True)
    assets = ASSETS.findall(html)
    assert "/bootstrap/static/css/bootstrap.min.css" in assets and "/bootstrap/static/js/bootstrap.min.js" in assets
    assert "cdn" not in html and "http" not in " ".join(assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.mimetype in ("text/css", "text/javascript", "application/javascript", "image/svg+xml"), asset
        response.close()
    policy = page.headers["Content-Security-Policy"]
    assert "style-src 'self';" in policy and "script-src 'self';" in policy and "unsafe-inline" not in policy


def test_no_page_template_has_an_inline_style_or_script():
    """The CSP would refuse them in the browser: styles go in static/site.css, scripts in a static file."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        if "emails" not in path.parts  # an email is read in a mail client, never under our CSP
        for match in re.finditer(r"\sstyle=|<style\b|<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+=", path.read_text())
    ]
    assert not offenders, offenders


def test_a_field_in_error_is_marked_described_and_linked_from_the_summary(client, world):
    factories.category("stationery", "Stationery")
    db.session.commit()
    sign_in(client, world.supplier_user)
    response = client.post(f"/catalogue/supplier/{world.supplier.id}/offers/new", data={})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = re.search(r'<div class="error-summary alert alert-danger" role="alert">(.*?)</div>', html, re.S).group(1)
    assert '<li><a class="alert-link" href="#name">Name: This field is required.</a></li>' in summary
    name_input = re.search(r'<input[^>]*id="name"[^>]*>', html).group(0)
    assert 'class="form-control is-invalid"' in name_input and 'aria-describedby="name-hint name-error"' in name_input
    assert '<p class="invalid-feedback" id="name-error">This field is required.</p>' in html
    chooser = re.search(r'<select[^>]*id="category"[^>]*>', html).group(0)
    assert 'class="form-select is-invalid"' in chooser  # Bootstrap's select style, not a text box's
