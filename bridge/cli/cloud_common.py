"""What the StandCloud commands share: the stand's cloud settings, a client, JSON.

Imported by ``cloud_login``, ``cloud_reads`` and ``sync``; it imports none of them.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def stand_of(args: argparse.Namespace) -> Any:
    from bridge.cli.options import stand_config

    return stand_config(args)


def settings_for(args: argparse.Namespace, address: str | None = None) -> Any:
    from bridge.cloud.settings import CloudSettings

    stand = stand_of(args)
    settings = CloudSettings.from_section(stand.model.stand_cloud, address=address, root=stand.root)
    for warning in settings.warnings:
        print(warning, file=sys.stderr)
    return settings


def client_for(args: argparse.Namespace) -> Any:
    from bridge.cloud.client import open_client

    return open_client(settings_for(args))


def json_text(data: Any, indent: int | None = 2) -> str:
    import json

    return json.dumps(data, indent=indent)  # ASCII: \u escapes, no raw control characters

