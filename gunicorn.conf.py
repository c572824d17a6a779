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


def post_worker_init(worker):
    """Moves everything the worker has loaded (the app, its templates and libraries) out of the garbage
    collector's sight: a request that makes tens of thousands of objects (a report of 10,000 invoices) would
    otherwise have each full collection walk that whole heap again (the shared-services calendar of 30,000
    participations: 327 ms in process, 229 ms frozen). Reference counting frees everything as before."""
    gc.collect()
    gc.freeze()
