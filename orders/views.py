"""Pool and pledge pages."""
from flask import Blueprint

from orders import models  # noqa: F401

bp = Blueprint("orders", __name__, url_prefix="/pools")
