"""Facts about the stand PC that every run carries without the test plan asking."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path


def hardware_id() -> str:
    """The machine id (stable across reboots and renames), else the host name."""
    for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            value = Path(candidate).read_text().strip()
        except OSError:
            continue
        if value:
            return value
    return socket.gethostname()


def timezone_name() -> str:
    """The IANA name of the local time zone (e.g. ``Europe/Helsinki``) when known."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if "/" in tz and not tz.startswith("/"):
        return tz
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        return target.split("zoneinfo/", 1)[1]
    try:
        name = Path("/etc/timezone").read_text().strip()
    except OSError:
        name = ""
    return name or time.tzname[0] or "UTC"
