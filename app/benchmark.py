"""A baseline for the benchmarks under bench/: one authenticated INSERT on the same stack.

Registered only when BENCHMARK_BASELINE is set, so production never serves it. The
benchmark creates the `benchmark_probe` table itself; it is not part of the schema.
"""

from sqlalchemy import text

from kernel.api import api_blueprint, operation
from kernel.clock import utcnow
from kernel.extensions import db
from organisations.access import require_actor, roles_required

PROBE_TABLE = "CREATE TABLE IF NOT EXISTS benchmark_probe (user_id INTEGER NOT NULL, created_at VARCHAR(40) NOT NULL)"

bp = api_blueprint("benchmark_api", __name__)


@bp.post("/benchmark/insert")
@roles_required()
@operation("Benchmark baseline: one authenticated INSERT", tags=["benchmark"], status=201)
def insert():
    db.session.execute(
        text("INSERT INTO benchmark_probe (user_id, created_at) VALUES (:user_id, :created_at)"),
        {"user_id": require_actor().id, "created_at": utcnow().isoformat()},
    )
    return {"inserted": True}, 201
