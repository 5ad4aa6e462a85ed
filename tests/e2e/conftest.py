"""Browser tests: a real graft server on a free port with a fresh workspace, driven by system Chromium.

Nothing is built here: `make web` must have produced src/graft/web. Every browser console error fails the test.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from serving import ARTIFACTS, _serve

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One server for the session: tests that train leave their runs and models for the next ones."""
    yield from _serve(tmp_path_factory.mktemp("workspace"))


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    """A server over a workspace no other test module has touched (a module overrides `server` with it)."""
    yield from _serve(tmp_path_factory.mktemp("empty-workspace"))


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server)
    pg = ctx.new_page()
    errors: list[str] = []
    allowed: list[str] = []   # console errors a test provokes on purpose (a refused upload logs its 4xx)
    pg.allow_console_error = allowed.append  # type: ignore[attr-defined]
    pg.on("console", lambda m: m.type == "error" and errors.append(m.text))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(15_000)
    shots = ARTIFACTS / request.node.name
    shots.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))
    pg.shot = lambda name: pg.screenshot(path=str(shots / f"{next(counter):02d}-{name}.png"))  # type: ignore[attr-defined]
    yield pg
    ctx.close()
    errors = [e for e in errors if not any(a in e for a in allowed)]
    assert not errors, f"browser console errors: {errors}"
