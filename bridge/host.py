"""Facts about the host PC (the stand's computer) that every run carries without the test
plan asking."""

from __future__ import annotations

import socket
import sys
import warnings
from pathlib import Path

#: Where Linux keeps the machine id (systemd's, then D-Bus's).
LINUX_MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))


def hardware_id() -> str:
    """The machine id (stable across reboots and renames), else the host name.

    Windows: the installation's ``MachineGuid``; Linux: ``/etc/machine-id``.
    """
    if sys.platform == "win32":
        value = _windows_machine_guid()
        if value:
            return value
    for candidate in LINUX_MACHINE_ID_FILES:
        try:
            value = candidate.read_text().strip()
        except OSError:
            continue
        if value:
            return value
    return socket.gethostname()


def _windows_machine_guid() -> str:
    if sys.platform != "win32":  # winreg exists on Windows only (the type checker knows)
        return ""
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE,
                            r"SOFTWARE\Microsoft\Cryptography") as key:
            return str(winreg.QueryValueEx(key, "MachineGuid")[0])
    except OSError:
        return ""


def timezone_name() -> str:
    """The IANA name of the local time zone (e.g. ``Europe/Helsinki``), on every OS.

    tzlocal maps Windows' own names ("W. Europe Standard Time") to IANA ones and reads
    ``TZ`` (a name or a zoneinfo file's path) and ``/etc/localtime`` on POSIX.
    """
    import tzlocal

    with warnings.catch_warnings():  # "no time zone configured, assuming UTC": we say so
        warnings.simplefilter("ignore")
        try:
            name = tzlocal.get_localzone_name()
        # an unreadable (OSError) or unknown zone (ZoneInfoNotFoundError is a KeyError;
        # a TZ that contradicts the system: ValueError): the record still gets one
        except (OSError, LookupError, ValueError):
            name = None
    return name or "UTC"
