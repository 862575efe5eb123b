"""The one place where StandCloud meets pytest.

Registered by the core plugin when ``[stand_cloud]`` names an address or a key.
``connection_only = true``: the session refuses to start when the healthcheck fails.
``autosync = true``: at the very end of the session the outbox is uploaded, with a
progress bar; an unreachable StandCloud never fails the session (the runs stay
queued for ``bridge sync`` or the next session). Queued runs of earlier sessions are
retried at most every ``autosync_timeout`` minutes; this session's run always is.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from bridge.errors import BridgeError

if TYPE_CHECKING:
    from bridge.cloud.settings import CloudSettings

AUTOSYNC_TIMEOUT_S = 10.0  # per request: a session end must not hang on a dead link


class CloudPlugin:
    def __init__(self, stand: Any, config: pytest.Config):
        self.stand = stand
        self.config = config
        self.section = stand.model.stand_cloud

    def _settings(self) -> CloudSettings:
        from bridge.cloud.settings import CloudSettings

        return CloudSettings.from_section(self.section, root=self.stand.root)

    def _say(self, line: str) -> None:
        from bridge.cli.text import shown

        line = shown(line, lines=True, limit=2000)  # server text: never raw to a terminal
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line, file=sys.stderr)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not self.section.connection_only:
            return
        from bridge.cloud.client import open_client

        try:
            settings = self._settings()
            for warning in settings.warnings:
                self._say(warning)
            with open_client(settings, timeout=AUTOSYNC_TIMEOUT_S, notify=self._say) as client:
                client.healthcheck()
        except BridgeError as exc:
            raise pytest.UsageError(
                f"StandCloud is not reachable and [stand_cloud] connection_only = true: {exc}"
            ) from None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.section.autosync:
            return
        from bridge.recording import finished_run_id

        run_id = finished_run_id(self.config)
        try:
            self._autosync(run_id)
        except (BridgeError, OSError, ValueError) as exc:  # e.g. a missing or non-PEM ca_file
            hint = (f"; check [stand_cloud] ca_file = {str(self.section.ca_file)!r}"
                    if self.section.ca_file and not isinstance(exc, BridgeError) else "")
            self._say(f"StandCloud: not uploaded now ({exc}{hint}); `bridge sync` will retry")

    def _autosync(self, run_id: str | None) -> None:
        from bridge.cloud.client import open_client
        from bridge.cloud.progress import result_line, sync_with_progress
        from bridge.cloud.sync import RetryPolicy, Uploader
        from bridge.store import Store

        settings = self._settings()
        for warning in settings.warnings:
            self._say(warning)
        tried_before = time.time() - self.section.autosync_timeout * 60
        # xdist workers: each uploads its own run; one process uploads the backlog.
        only = [run_id] if hasattr(self.config, "workerinput") and run_id else None
        with (
            Store.open(self.stand.store_path, create=False) as store,
            open_client(settings, timeout=AUTOSYNC_TIMEOUT_S, notify=self._say) as client,
        ):
            uploader = Uploader(
                store,
                client,
                fill_unknown=settings.fill_unknown,
                policy=RetryPolicy(attempts=2, base=0.5, cap=2.0),  # the rest: `bridge sync`
            )
            result = sync_with_progress(uploader, run_ids=only, tried_before=tried_before)
        self._say(result_line(result, run_id))
