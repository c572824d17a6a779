"""The caller, as the API sees them."""

from kernel.api import api_blueprint, operation
from organisations.access import require_actor
from organisations.schemas import MeSchema

bp = api_blueprint("people_api", __name__)


@bp.get("/me")
@operation("The caller, their roles and organisations", tags=["people"], response=MeSchema)
def me():
    return MeSchema().dump(require_actor())
