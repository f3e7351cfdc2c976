"""Errors the Quire client raises. Every one says what happened and what to do.

All derive from :class:`QuireError`; each carries a short machine-readable ``code``.
"""
from __future__ import annotations


class QuireError(Exception):
    """Base class of everything this package raises on purpose."""

    code: str = "quire"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class DaemonNotRunningError(QuireError):
    """No daemon answers on the socket (and none could be started)."""

    code = "no-daemon"


class AuthenticationError(QuireError):
    """The daemon refused our token, or the token file could not be read."""

    code = "bad-token"


class ProtocolMismatchError(QuireError):
    """The daemon speaks another protocol version."""

    code = "protocol-mismatch"


class ConnectionLostError(QuireError):
    """The daemon connection is gone (the daemon stopped or restarted, or close() was called)."""

    code = "closed"


class ProtocolError(QuireError):
    """The daemon sent something that breaks the wire contract."""

    code = "protocol"


class FrameError(ProtocolError):
    """A frame that cannot be decoded. ``code`` is the same as the TypeScript codec's."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code)


class RequestError(QuireError):
    """The daemon answered a request with an error (``code`` is the daemon's error code)."""

    def __init__(self, code: str, message: str, method: str = "") -> None:
        super().__init__(message, code)
        self.method = method


class SyncTimeoutError(QuireError, TimeoutError):
    """The replica did not catch up (or the daemon did not take our changes) in time."""

    code = "sync-timeout"


class UnknownWidgetError(QuireError):
    """update_widget() named a comm this replica does not hold."""

    code = "unknown-widget"
