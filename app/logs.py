"""Logging, set up in one place: one format to stderr, at the level LOG_LEVEL names (INFO by default).

`create_app` calls `configure`, so the web app, every `flask --app wsgi ...` command and the tests
log the same way; `gunicorn.conf.py` hands `config(level)` to gunicorn, so its own loggers
(`gunicorn.error`, `gunicorn.access`) go through the same handler in the same format. INFO carries
lines that operators need: the outbox's delivery line when no mail server is set, Stripe's
declines and failed payments.
"""

import logging
import logging.config
import sys
from typing import Any, TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
HANDLER = "marketplace.stderr"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is when a line is logged (as the logging module's last resort
    does), so a handler made before stderr is redirected (gunicorn's daemon, pytest's capture) still
    reaches it."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def level_of(value: str | None) -> str:
    """The level a LOG_LEVEL value names, INFO when it is empty; anything else is a mistake worth stopping for."""
    level = (value or "INFO").strip().upper()
    if level not in LEVELS:
        raise ValueError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, not {value!r}")
    return level


def config(level: str) -> dict[str, Any]:
    """The `logging.config.dictConfig` configuration: the root logger at `level` writing to stderr;
    gunicorn's loggers keep no handlers of their own and pass their lines up to it."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"marketplace": {"format": FORMAT, "datefmt": DATE_FORMAT}},
        "handlers": {HANDLER: {"()": StderrHandler, "formatter": "marketplace"}},
        "root": {"level": level, "handlers": [HANDLER]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
            # alembic names each plugin it loads when the app is made: noise in every worker's start.
            "alembic.runtime.plugins": {"level": "WARNING"},
        },
    }


def configure(level: str) -> None:
    """Sets up logging once per process; making another app (the tests make many) changes only the level.

    Handlers that others put on the root logger (pytest's capture) are left as they are.
    """
    root = logging.getLogger()
    if not any(handler.get_name() == HANDLER for handler in root.handlers):
        others = list(root.handlers)
        logging.config.dictConfig(config(level))
        for handler in others:
            root.addHandler(handler)
    root.setLevel(level)
