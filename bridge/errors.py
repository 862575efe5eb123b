"""The one exception tree of stand-bridge.

Every failure a test engineer can meet has its own class, carrying the facts needed to
act on it (file and key, resource and command, address and status) as attributes, so
that messages name them and callers can branch on them.

    BridgeError
    ├── ConfigError          bad hardpy.toml: file, key, what was expected
    ├── NotInRunError        a test-plan API call outside a running test plan
    ├── DuplicateParameterError  a once-only field set twice
    ├── TestStandNumberError a stand number that is not a non-negative int (HardPy's name)
    ├── MeasurementError     NaN / infinite value, limits contradicting the operation
    ├── StoreError           run store unreadable, from a newer schema, not writable
    ├── InstrumentError      resource, command, reply
    │   └── FirmwareError    the DUT firmware answered ERR <code> <text>
    ├── OperatorError        no operator answer (stdin closed, invalid answers): the dialog
    └── StandCloudError      address, status
        ├── AuthError        not logged in, refresh refused, login denied/expired
        ├── TLSError         certificate not trusted: says what to set
        ├── Unavailable      worth retrying later (5xx, 429, no answer): retry_after
        └── UploadRejected   the server refused a report (4xx) with its reason

    MeasurementFailed (an AssertionError, so pytest reports a failed case)
"""

from __future__ import annotations

from pathlib import Path


class BridgeError(Exception):
    """Base of every error raised by stand-bridge."""


class ConfigError(BridgeError, ValueError):
    """A configuration file is wrong; names the file and the key."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        key: str | None = None,
    ):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.key = key
        where = str(self.path) if self.path else "configuration"
        if line:
            where += f":{line}"
        if key:
            where += f": {key}"
        super().__init__(f"{where}: {message}")


class NotInRunError(BridgeError, RuntimeError):
    """A test-plan API function was called where no run (or no case) is active."""


class DuplicateParameterError(BridgeError, ValueError):
    """A field that is set once per run was set a second time."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(f"{field} is already set for this run; it can be set only once")


# HardPy's names for the same mistake, so that its plans' pytest.raises(...) hold here.
DuplicateFieldError = DuplicateSerialNumberError = DuplicatePartNumberError = \
    DuplicateTestStandNameError = DuplicateParameterError


class TestStandNumberError(BridgeError, ValueError):
    """``set_stand_number`` got something other than a non-negative int."""

    __test__ = False  # a name pytest would otherwise try to collect


class MeasurementError(BridgeError, ValueError):
    """A measurement that cannot be judged (NaN, infinity, contradictory limits)."""


class StoreError(BridgeError):
    """The run store cannot be opened or written."""

    def __init__(self, message: str, *, path: Path | str | None = None):
        self.path = Path(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path else message)


class InstrumentError(BridgeError):
    """An instrument did not answer as expected; names resource, command and reply."""

    def __init__(
        self,
        message: str,
        *,
        resource: str | None = None,
        command: str | None = None,
        reply: str | bytes | None = None,
    ):
        self.resource = resource
        self.command = command
        self.reply = reply
        parts = [message]
        if resource is not None:
            parts.append(f"resource={resource}")
        if command is not None:
            parts.append(f"command={command!r}")
        if reply is not None:
            parts.append(f"reply={reply!r}")
        super().__init__("; ".join(parts))


class FirmwareError(InstrumentError):
    """The DUT firmware answered a command with ``ERR <code> <text>``."""

    def __init__(self, code: int, text: str, *, resource: str | None = None,
                 command: str | None = None, reply: str | bytes | None = None):
        self.code = code
        self.text = text
        super().__init__(f"firmware error {code}: {text}", resource=resource, command=command,
                         reply=reply)


class OperatorError(BridgeError):
    """An operator dialog got no usable answer; names the dialog (title and first line),
    and the widget and last answer when the operator kept answering wrongly."""

    def __init__(
        self,
        message: str,
        *,
        dialog: str,
        widget: str | None = None,
        answer: str | None = None,
    ):
        self.dialog = dialog
        self.widget = widget
        self.answer = answer
        super().__init__(f"operator dialog {dialog}: {message}")


class StandCloudError(BridgeError):
    """Talking to StandCloud failed."""

    def __init__(self, message: str, *, address: str | None = None, status: int | None = None):
        self.address = address
        self.status = status
        super().__init__(message)


class AuthError(StandCloudError):
    """No usable login: not logged in, refresh refused, approval denied or expired."""


class TLSError(StandCloudError):
    """The server's certificate is not trusted; the message says what to configure."""


class Unavailable(StandCloudError):
    """A failure worth retrying later; ``retry_after`` is the server's hint, if any."""

    def __init__(
        self,
        message: str,
        *,
        address: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        self.retry_after = retry_after
        super().__init__(message, address=address, status=status)


class UploadRejected(StandCloudError):
    """StandCloud refused a report (4xx); ``reason`` is the server's explanation."""

    def __init__(self, reason: str, *, address: str | None = None, status: int | None = None):
        self.reason = reason
        super().__init__(f"report rejected: {reason}", address=address, status=status)


class MeasurementFailed(AssertionError):
    """A measurement recorded with ``set_case_measurement`` did not meet its limits."""
