"""Stopping the simulator: answers in progress still arrive, delayed answers end at once.

Real HTTP on loopback, with the simulator's own server (``PromptServer``) where the
shutdown itself is what is tested.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bridge.cloud.sim import SimConfig, SimServer
from bridge.cloud.urls import Endpoints


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        time.sleep(0.005)


def _in_a_thread(request: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[Any]]:
    """Send ``request`` from a thread; its answer (or error) lands in the list."""
    answers: list[Any] = []

    def send() -> None:
        try:
            answers.append(request())
        except httpx.HTTPError as exc:
            answers.append(exc)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, answers


def _refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_stopping_lets_an_answer_in_progress_finish(tmp_path: Path):
    started, release = threading.Event(), threading.Event()

    async def slow(request: Any) -> PlainTextResponse:
        started.set()
        await anyio.to_thread.run_sync(release.wait, 30)
        return PlainTextResponse("finished")

    with SimServer(SimConfig(data_dir=tmp_path / "sim")) as sim:
        sim.sim.app.router.routes.insert(0, Route("/slow", slow))
        client, answers = _in_a_thread(lambda: httpx.get(f"{sim.url}/slow", timeout=30))
        assert started.wait(30)
        stopping = threading.Thread(target=sim.stop, daemon=True)
        stopping.start()
        _wait_for(lambda: _refused(sim.port), "the listener closed")
        assert stopping.is_alive()  # shutdown waits for the answer in progress
        release.set()
        stopping.join(30)
        client.join(30)
    assert not stopping.is_alive()
    assert [(a.status_code, a.text) for a in answers] == [(200, "finished")]


@pytest.mark.parametrize("end", ["stop", "faults.wake_delayed"])  # close() wakes them first
def test_stopping_ends_a_delayed_answer_with_503(sim, end):
    sim.faults.delay = 60
    url = Endpoints.from_address(sim.address).healthcheck
    client, answers = _in_a_thread(lambda: httpx.get(url, timeout=30))
    _wait_for(lambda: sim.faults.delayed == 1, "the request arrived")
    if end == "stop":
        sim.stop()
    else:
        sim.faults.wake_delayed()
    client.join(30)
    assert [(a.status_code, a.json()["detail"]) for a in answers] == [
        (503, "the simulator is stopping")]
    assert sim.faults.delayed == 0


def test_released_delayed_answers_are_given_at_once(sim):
    sim.faults.delay = 60
    url = Endpoints.from_address(sim.address).healthcheck
    headers = {"Authorization": f"Bearer {sim.api_key}"}
    clients = [_in_a_thread(lambda: httpx.get(url, headers=headers, timeout=30))
               for _ in range(3)]
    _wait_for(lambda: sim.faults.delayed == 3, "three requests arrived")
    sim.faults.release_delayed()
    for thread, _ in clients:
        thread.join(30)
    assert [answer.status_code for _, answers in clients for answer in answers] == [200] * 3
