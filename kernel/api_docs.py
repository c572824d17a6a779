"""The API's reference, browsable: Swagger UI's own files (the swagger-ui-bundle package) served by the app,
reading the OpenAPI document. No CDN, and no inline script: the page starts Swagger UI from a static file."""

from flask import Blueprint, render_template
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("api_docs", __name__, static_folder=str(swagger_ui_path), static_url_path="/api/docs/swagger-ui")


@bp.get("/api/docs")
def page():
    return render_template("api_docs.html")
