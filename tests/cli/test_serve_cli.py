"""`plexcare serve` is safe by default: no default secret key outside a demo or a developer's
machine, no demo clinic unless asked for (and then every page says so), private files."""

from __future__ import annotations

import gc
import os
import smtplib
import socket
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from plexcare.cli.demo import demo_logins_present
from plexcare.cli.main import app as cli
from plexcare.config import DEFAULT_SECRET_KEY, Settings, get_settings

A_REAL_KEY = "k7Qe0vXo3bq5s9yq1pV8mF2tLw6zR4nJ"
BANNER = "Demo clinic."


@dataclass
class Launches:
    """What `uvicorn.run` was asked to serve, instead of serving it."""

    calls: list[tuple[FastAPI, dict[str, Any]]] = field(default_factory=list)
    collecting: list[bool] = field(default_factory=list)
    """Whether the cycle collector ran as each call came."""

    def __call__(self, app: FastAPI, **options: Any) -> None:
        self.calls.append((app, options))
        self.collecting.append(gc.isenabled())

    @property
    def app(self) -> FastAPI:
        assert len(self.calls) == 1
        return self.calls[0][0]


@dataclass
class Place:
    var: Path
    database: Path
    uploads: Path
    url: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    var = tmp_path / "var"
    database = var / "plexcare.db"
    url = f"sqlite:///{database}"
    monkeypatch.setenv("PLEXCARE_DATABASE_URL", url)
    monkeypatch.setenv("PLEXCARE_UPLOAD_DIR", str(var / "uploads"))
    monkeypatch.setenv("PLEXCARE_MAILBOX_DIR", str(var / "mailbox"))
    monkeypatch.setenv("PLEXCARE_SMTP_PORT", str(free_port()))
    monkeypatch.delenv("PLEXCARE_SECRET_KEY", raising=False)
    monkeypatch.delenv("PLEXCARE_DEVELOPMENT", raising=False)
    get_settings.cache_clear()
    previous_umask = os.umask(0o022)
    try:
        yield Place(var=var, database=database, uploads=var / "uploads", url=url)
    finally:
        os.umask(previous_umask)
        get_settings.cache_clear()


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch) -> Launches:
    recorder = Launches()
    monkeypatch.setattr(uvicorn, "run", recorder)
    return recorder


def serve(*args: str, **environment: str) -> Any:
    get_settings.cache_clear()
    return CliRunner().invoke(cli, ["serve", *args], env=environment)


def home_page(app: FastAPI) -> str:
    with TestClient(app) as client:
        answer = client.get("/")
    assert answer.status_code == 200
    return answer.text


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_refused_key_is_the_settings_default() -> None:
    assert Settings.model_fields["secret_key"].default == DEFAULT_SECRET_KEY


def test_serve_with_the_default_key_and_no_demo_exits_2_with_one_line_and_serves_nothing(
    place: Place, launches: Launches
) -> None:
    result = serve()
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "refusing to start with the default secret key" in lines[0]
    assert "PLEXCARE_SECRET_KEY" in lines[0]
    assert launches.calls == []
    assert not place.database.exists()


def test_serve_with_a_secret_key_starts_without_the_demo_clinic_and_with_private_files(
    place: Place, launches: Launches
) -> None:
    result = serve(PLEXCARE_SECRET_KEY=A_REAL_KEY)
    assert result.exit_code == 0, result.output
    assert "demo" not in result.output.lower()
    assert launches.app.state.demo_clinic is False
    assert not demo_logins_present(place.url)
    assert BANNER not in home_page(launches.app)
    assert mode(place.database) == 0o600
    assert mode(place.var) == 0o700
    assert mode(place.uploads) == 0o700


def test_serve_hands_uvicorn_the_socket_peer_untouched(place: Place, launches: Launches) -> None:
    assert serve(PLEXCARE_SECRET_KEY=A_REAL_KEY).exit_code == 0
    _app, options = launches.calls[0]
    assert options["proxy_headers"] is False


def test_serve_demo_loads_the_demo_clinic_and_every_page_says_so(
    place: Place, launches: Launches
) -> None:
    result = serve("--demo")
    assert result.exit_code == 0, result.output
    assert "demo clinic created" in result.output
    assert "default secret key" in result.output
    assert launches.app.state.demo_clinic is True
    assert demo_logins_present(place.url)
    assert BANNER in home_page(launches.app)
    assert mode(place.database) == 0o600


def test_a_developer_may_use_the_default_key_without_the_demo_clinic(
    place: Place, launches: Launches
) -> None:
    result = serve(PLEXCARE_DEVELOPMENT="true")
    assert result.exit_code == 0, result.output
    assert "warning: the default secret key is in use" in result.output
    assert launches.app.state.demo_clinic is False


def test_demo_logins_left_from_a_trial_are_announced_without_demo(
    place: Place, launches: Launches
) -> None:
    assert serve("--demo").exit_code == 0
    result = serve(PLEXCARE_SECRET_KEY=A_REAL_KEY)
    assert result.exit_code == 0, result.output
    assert "demo logins" in result.output
    assert launches.calls[-1][0].state.demo_clinic is True


@dataclass
class WhileServing:
    """What was true while `uvicorn.run` would have been serving."""

    sink_kept: list[str] = field(default_factory=list)
    worker_threads: list[str] = field(default_factory=list)
    app: FastAPI | None = None

    def __call__(self, app: FastAPI, **options: Any) -> None:
        self.app = app
        self.worker_threads = [
            thread.name for thread in threading.enumerate() if "outbox-worker" in thread.name
        ]
        settings = get_settings()
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            smtp.sendmail(
                "appointments@plexcare.example",
                ["patient@example.org"],
                b"Subject: Appointment confirmed\r\n\r\nSee you on Tuesday.",
            )
        self.sink_kept = sorted(path.name for path in settings.mailbox_dir.glob("*.eml"))


def test_serve_demo_sends_while_it_serves_and_keeps_mail_for_the_desk(
    place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = WhileServing()
    monkeypatch.setattr(uvicorn, "run", serving)

    result = serve("--demo")

    assert result.exit_code == 0, result.output
    assert "outbox worker running" in result.output
    assert "mail sink on 127.0.0.1:" in result.output
    assert serving.worker_threads == ["plexcare-outbox-worker"]
    assert len(serving.sink_kept) == 1
    assert serving.app is not None and serving.app.state.mailbox_dir == place.var / "mailbox"
    assert mode(place.var / "mailbox") == 0o700
    assert not [t for t in threading.enumerate() if "outbox-worker" in t.name], "stopped after"


def test_serve_without_demo_runs_the_worker_but_no_sink(place: Place, launches: Launches) -> None:
    result = serve(PLEXCARE_SECRET_KEY=A_REAL_KEY)
    assert result.exit_code == 0, result.output
    assert "outbox worker running" in result.output
    assert "mail sink" not in result.output
    assert getattr(launches.app.state, "mailbox_dir", None) is None
    assert "outbox worker" not in serve("--no-worker", PLEXCARE_SECRET_KEY=A_REAL_KEY).output


def test_serve_builds_the_app_with_the_collector_paused_and_serves_with_it_running(
    place: Place, launches: Launches, monkeypatch: pytest.MonkeyPatch
) -> None:
    import plexcare.app

    collecting_while_built: list[bool] = []
    build = plexcare.app.create_app

    def watched(settings: Settings | None = None) -> FastAPI:
        collecting_while_built.append(gc.isenabled())
        return build(settings)

    monkeypatch.setattr(plexcare.app, "create_app", watched)
    assert gc.isenabled()

    result = serve("--demo", "--no-worker", "--no-mail-sink")

    assert result.exit_code == 0, result.output
    assert collecting_while_built == [False]
    assert launches.collecting == [True]
    assert gc.isenabled()
