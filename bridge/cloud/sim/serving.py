"""uvicorn's server, stopping as soon as it is told to and as soon as its answers are done.

uvicorn looks at ``should_exit`` on a 0.1 s tick, then sleeps another 0.1 s and polls
for open connections every 0.1 s while it shuts down: a stop of an idle simulator
costs 0.2-0.3 s of waiting (tests stop and start one often). Here ``exit_soon`` (and
Ctrl-C) wakes the main loop at once, and shutdown watches its connections closely.
What a client sees is unchanged: no new connections, idle keep-alive connections
closed, answers in progress get ``timeout_graceful_shutdown`` seconds to finish before
they are cancelled (tests/cloud/test_sim_server.py). It overrides ``main_loop`` and
``shutdown``, which uvicorn has had in this form since well before 0.30."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
from types import FrameType

import uvicorn

logger = logging.getLogger("uvicorn.error")

_TICK = 0.1  # uvicorn's: the date header is renewed every 10 ticks
_WATCH = 0.005  # how often shutdown looks whether the last answer is done


class PromptServer(uvicorn.Server):
    """A ``uvicorn.Server`` that ``exit_soon`` (from any thread) stops without delay."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def exit_soon(self) -> None:
        """Stop serving; safe to call from any thread, before or after the start."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: it has stopped
                loop.call_soon_threadsafe(wake.set)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)  # Ctrl-C: graceful; a second one: at once
        self.exit_soon()

    async def main_loop(self) -> None:
        # ``_wake`` exists before the first look at ``should_exit``: an ``exit_soon``
        # either is seen by that look or sets the event
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), _TICK)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()  # idle: closed now; busy: closed after its answer
        loop = asyncio.get_running_loop()
        grace = self.config.timeout_graceful_shutdown
        deadline = loop.time() + (math.inf if grace is None else grace)
        while (state.connections or state.tasks) and not self.force_exit:
            if loop.time() >= deadline:
                logger.error("cancelling %d answer(s) still running after %s s",
                             len(state.tasks), grace)
                for task in state.tasks:
                    task.cancel()
                break
            await asyncio.sleep(_WATCH)
        if not state.connections:
            for server in self.servers:
                await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()
