"""`gunicorn wsgi:app` serves production with workers and bind taken from the environment."""

import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def settings(monkeypatch, **env) -> dict:
    for name in ("GUNICORN_BIND", "HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_workers_and_bind_come_from_the_environment(monkeypatch):
    configured = settings(
        monkeypatch, GUNICORN_BIND="127.0.0.1:9123", WEB_CONCURRENCY="3", GUNICORN_THREADS="4", GUNICORN_TIMEOUT="60"
    )
    assert (configured["bind"], configured["workers"], configured["threads"], configured["timeout"]) == (
        "127.0.0.1:9123",
        3,
        4,
        60,
    )
    assert settings(monkeypatch, PORT="8080")["bind"] == "0.0.0.0:8080"


def test_defaults_scale_with_the_cores(monkeypatch):
    import multiprocessing

    configured = settings(monkeypatch)
    assert configured["bind"] == "0.0.0.0:8000"
    assert configured["workers"] == multiprocessing.cpu_count() * 2 + 1


def test_gunicorn_loads_the_config_and_the_app(tmp_path):
    """gunicorn --check-config imports wsgi:app with the config file it finds by default."""
    env = {
        "PATH": str(Path(sys.executable).parent),
        "DATABASE_URL": f"sqlite:///{tmp_path}/check.db",
        "SECRET_KEY": "check-config",
        "WEB_CONCURRENCY": "2",
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--check-config", "--print-config", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    printed = {
        name.strip(): value.strip()
        for name, _, value in (line.partition(" = ") for line in result.stdout.splitlines())
        if value
    }
    assert printed["config"] == "./gunicorn.conf.py"
    assert (printed["workers"], printed["bind"]) == ("2", "['0.0.0.0:8000']")
