"""Catalogue pages: browse and search offers; suppliers keep their own."""
from flask import Blueprint

from catalogue import models  # noqa: F401  (registers the tables until the views use them)

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")
