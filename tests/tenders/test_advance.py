"""`flask advance-tenders`: tenders move at their deadlines once, however many runs there are at once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

from sqlalchemy import func, select, update

from kernel.extensions import db
from kernel.lifecycle import StatusChange
from tenders import services
from tenders.models import Tender, TenderStatus
from tests.tenders.conftest import SUBMISSIONS, T0, draft_for

TENDERS = 6


def _published_past_deadlines(tendering) -> list[int]:
    w = tendering.world
    ids = []
    for n in range(TENDERS):
        tender = services.create_tender(w.secretary, draft_for(w, tendering.pool, title=f"Tender {n}"))
        services.publish(w.secretary, tender)
        ids.append(tender.id)
    db.session.execute(
        update(Tender)
        .where(Tender.id.in_(ids))
        .values(clarification_deadline=T0 - timedelta(hours=2), submission_deadline=T0 - timedelta(hours=1))
    )
    db.session.commit()
    return ids


def _moves(ids: list[int]) -> dict[str, int]:
    rows = db.session.execute(
        select(StatusChange.to_state, func.count())
        .where(StatusChange.subject_kind == "tender", StatusChange.subject_id.in_(ids))
        .group_by(StatusChange.to_state)
    )
    return dict(rows.all())


def test_the_job_closes_questions_then_bids_and_a_second_run_does_nothing(tendering, runner):
    ids = _published_past_deadlines(tendering)
    first = runner.invoke(args=["advance-tenders"])
    assert first.exit_code == 0, first.output
    assert f"{TENDERS} tenders moved" in first.output
    second = runner.invoke(args=["advance-tenders"])
    assert "0 tenders moved" in second.output
    db.session.expire_all()
    assert {t.status for t in db.session.scalars(select(Tender).where(Tender.id.in_(ids)))} == {
        TenderStatus.SUBMISSIONS_CLOSED
    }
    assert _moves(ids) == {"published": TENDERS, "clarifications_closed": TENDERS, "submissions_closed": TENDERS}


def test_a_tender_before_its_deadline_stays_put(tendering, runner):
    services.publish(tendering.world.secretary, tendering.tender)
    db.session.commit()
    assert "0 tenders moved" in runner.invoke(args=["advance-tenders"]).output
    tendering.clock.set(SUBMISSIONS - timedelta(hours=1))
    assert "1 tenders moved" in runner.invoke(args=["advance-tenders"]).output
    assert tendering.reload().status is TenderStatus.CLARIFICATIONS_CLOSED


def test_two_runs_at_once_on_two_hosts_move_each_tender_once(tendering, app, postgresql_only):
    ids = _published_past_deadlines(tendering)
    runs = 3
    barrier = Barrier(runs)

    def run(_):
        cli = app.test_cli_runner()
        barrier.wait(timeout=30)
        return cli.invoke(args=["advance-tenders"])

    with ThreadPoolExecutor(max_workers=runs) as pool:
        results = list(pool.map(run, range(runs)))
    # click's runner swaps sys.stdout for the whole process, so the runs' outputs mix: the database is the witness.
    assert all(r.exit_code == 0 for r in results)
    db.session.expire_all()
    assert _moves(ids) == {"published": TENDERS, "clarifications_closed": TENDERS, "submissions_closed": TENDERS}
