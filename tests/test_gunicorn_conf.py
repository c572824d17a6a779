"""gunicorn.conf.py's worker hook: what a worker loaded is kept out of the garbage collector's full walks."""

import gc
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_started_worker_freezes_what_it_loaded():
    hook = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["post_worker_init"]
    assert gc.get_freeze_count() == 0
    try:
        hook(None)
        assert gc.get_freeze_count() > 10_000  # the app, its templates and libraries
        assert gc.isenabled()
    finally:
        gc.unfreeze()
