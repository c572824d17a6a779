"""The API reference page: linked from every page's footer and the API tokens page, its Swagger UI files served by
the app (no CDN), started by a static script that reads the app's own OpenAPI document."""

import re

from tests.factories import sign_in


def test_the_reference_is_served_with_its_own_files_and_reads_the_openapi_document(client, world):
    page = client.get("/api/docs")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-spec-url="/api/v1/openapi.json"' in text
    assets = re.findall(r'(?:src|href)="(/api/docs/swagger-ui/[^"]+)"', text)
    assert sorted(a.rsplit("/", 1)[1] for a in assets) == ["swagger-ui-bundle.js", "swagger-ui.css"]
    for asset in [*assets, "/static/api-docs.js"]:
        assert client.get(asset).status_code == 200, asset
    assert "<script>" not in text and "cdn" not in text.lower()
    assert client.get("/api/v1/openapi.json").json["openapi"].startswith("3.")


def test_the_footer_and_the_tokens_page_link_to_it(client, world):
    sign_in(client, world.member_user)
    assert 'href="/api/docs"' in client.get("/").get_data(as_text=True)
    assert 'href="/api/docs"' in client.get("/account/api-tokens").get_data(as_text=True)
