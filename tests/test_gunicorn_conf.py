"""gunicorn.conf.py's worker hook: what a worker loaded is kept out of the garbage collector's walks."""

import gc
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_started_worker_freezes_what_it_loaded_and_collects_less_often():
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert gc.get_freeze_count() == 0
    thresholds = gc.get_threshold()
    try:
        conf["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000  # the app, its templates and libraries
        assert gc.isenabled() and gc.get_threshold() == conf["GC_THRESHOLDS"] != thresholds
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
