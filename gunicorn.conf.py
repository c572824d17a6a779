"""gunicorn settings from the environment: `gunicorn wsgi:app` reads this file by default."""

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
