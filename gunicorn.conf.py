"""gunicorn settings from the environment: `gunicorn wsgi:app` reads this file by default."""

import gc
import multiprocessing
import os

from app import logs

bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's own lines (gunicorn.error, and gunicorn.access when accesslog is set) in the app's format, to stderr.
loglevel = logs.level_of(os.environ.get("LOG_LEVEL")).lower()
logconfig_dict = logs.config(loglevel.upper())


# A young-generation collection every 50,000 new objects, not 700: a page that works out 10,000 members' bills
# makes a few hundred thousand, and each collection also walks the older generations it promotes into.
GC_THRESHOLDS = (50_000, 20, 100)


def post_worker_init(worker):
    """Moves everything the worker has loaded (the app, its templates and libraries) out of the garbage
    collector's sight, and collects less often: a request that makes hundreds of thousands of objects (a report
    of 10,000 invoices) would otherwise have the collector walk the heap again and again. In process, with
    10,000 members: the close preview 320 ms to 145 ms, the shared-services calendar 229 ms to 116 ms (with
    the pauses held off in both), the secretary's dashboard 39 ms to 30 ms. Reference counting frees everything
    as before; only cycles wait longer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
