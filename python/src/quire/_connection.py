"""One client stream to the daemon (asyncio): handshake, correlated requests, sync frames
per room, and broadcasts. Everything received is checked against the wire contract."""
from __future__ import annotations

import asyncio
import errno
import os
import shlex
import shutil
import subprocess
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from . import protocol as P
from .errors import (
    AuthenticationError,
    ConnectionLostError,
    DaemonNotRunningError,
    FrameError,
    ProtocolError,
    ProtocolMismatchError,
    QuireError,
    RequestError,
)
from .paths import QuirePaths

SyncListener = Callable[[bytes], None]
BroadcastListener = Callable[[Dict[str, Any]], None]
CloseListener = Callable[[QuireError], None]

_READ_CHUNK = 256 * 1024
#: Sync frames kept for a room whose `open` response has not arrived yet.
_EARLY_SYNC_CAP = 256


def read_token(paths: QuirePaths) -> str:
    try:
        with open(paths.token, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError as err:
        raise AuthenticationError(
            f"cannot read the daemon token file {paths.token}: {err.strerror or err}. "
            "Check the token file: the daemon writes it (mode 0600) each time it starts; "
            "is the daemon running as this user with this QUIRE_HOME?"
        ) from None
    if not token:
        raise AuthenticationError(f"the daemon token file {paths.token} is empty; check the token file or restart the daemon")
    return token


def default_daemon_command(env: Mapping[str, str]) -> Optional[List[str]]:
    """How to start a daemon: ``$QUIRE_DAEMON_COMMAND``; else, for a client installed from a
    Quire checkout (``pip install -e python``), that checkout's ``bin/quire.mjs daemon``
    (as the Node SDK does); else ``quire daemon`` when ``quire`` is on PATH."""
    explicit = env.get("QUIRE_DAEMON_COMMAND")
    if explicit:
        return shlex.split(explicit)
    checkout_bin = Path(__file__).resolve().parents[3] / "bin" / "quire.mjs"
    node = shutil.which("node", path=env.get("PATH"))
    if node and checkout_bin.is_file():
        return [node, str(checkout_bin), "daemon", "--detached"]
    quire = shutil.which("quire", path=env.get("PATH"))
    return [quire, "daemon", "--detached"] if quire else None


async def _open_socket(path: str) -> "tuple[asyncio.StreamReader, asyncio.StreamWriter]":
    return await asyncio.open_unix_connection(path, limit=_READ_CHUNK)


_NO_DAEMON_ERRNOS = {errno.ENOENT, errno.ECONNREFUSED}
_REFUSED_RETRIES = 10


async def open_daemon_socket(
    paths: QuirePaths,
    *,
    autostart: bool,
    daemon_command: Optional[Sequence[str]],
    env: Mapping[str, str],
    timeout: float,
) -> "tuple[asyncio.StreamReader, asyncio.StreamWriter]":
    """Connects to the daemon socket, starting a daemon first when allowed and needed."""
    try:
        return await _open_socket(paths.socket)
    except OSError as err:
        code = err.errno
        if code == errno.ECONNREFUSED:
            # The socket file exists but nothing accepts: a daemon between bind() and
            # listen(), or a stale file. Give a starting daemon a moment.
            for _ in range(_REFUSED_RETRIES):
                await asyncio.sleep(0.05)
                try:
                    return await _open_socket(paths.socket)
                except OSError as again:
                    code = again.errno
                    if code != errno.ECONNREFUSED:
                        break
        if not autostart or code not in _NO_DAEMON_ERRNOS:
            raise DaemonNotRunningError(
                f"no Quire daemon answers on {paths.socket} ({errno.errorcode.get(code or 0, str(err))}); "
                "start one with `quire daemon` (or `npx quire daemon` in a Quire checkout), then connect() again"
            ) from None
    command = list(daemon_command) if daemon_command else default_daemon_command(env)
    if not command:
        raise DaemonNotRunningError(
            f"no Quire daemon answers on {paths.socket}, and neither a `quire` command nor node with a "
            "Quire checkout was found to start one; start it with `quire daemon` (or `npx quire daemon` "
            "in a Quire checkout), or pass daemon_command=[...] / set QUIRE_DAEMON_COMMAND"
        )
    try:
        child = subprocess.Popen(
            command,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as err:
        raise DaemonNotRunningError(f"could not start the Quire daemon with {command!r}: {err}") from None
    deadline = time.monotonic() + timeout
    last: Optional[BaseException] = None
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        try:
            return await _open_socket(paths.socket)
        except OSError as err:
            last = err
        code = child.poll()
        # Exit code 3: another daemon won the race; keep polling for its socket.
        if code is not None and code not in (0, 3):
            break
    raise DaemonNotRunningError(
        f"started a Quire daemon ({' '.join(command)}) but its socket {paths.socket} did not answer "
        f"({last or 'timeout'}); see {paths.log}"
    )


class Connection:
    """A handshaken daemon connection. Use :meth:`open`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, paths: QuirePaths) -> None:
        self._reader = reader
        self._writer = writer
        self.paths = paths
        self._decoder = P.FrameDecoder()
        self._next_id = 1
        self._pending: Dict[int, "asyncio.Future[Any]"] = {}
        self._methods: Dict[int, str] = {}
        self._sync_listeners: Dict[str, SyncListener] = {}
        self._early_sync: Dict[str, List[bytes]] = {}
        self._opening = 0
        self._broadcast_listeners: List[BroadcastListener] = []
        self._close_listeners: List[CloseListener] = []
        self._welcome_waiter: Optional["asyncio.Future[Dict[str, Any]]"] = None
        self._closed: Optional[QuireError] = None
        self._task: Optional["asyncio.Task[None]"] = None
        self.welcome: Dict[str, Any] = {}

    # ---- lifecycle -------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        paths: QuirePaths,
        *,
        token: Optional[str] = None,
        client_name: str = "python",
        autostart: bool = True,
        daemon_command: Optional[Sequence[str]] = None,
        env: Optional[Mapping[str, str]] = None,
        timeout: float = 20.0,
    ) -> "Connection":
        env = os.environ if env is None else env
        reader, writer = await open_daemon_socket(
            paths, autostart=autostart, daemon_command=daemon_command, env=env, timeout=timeout
        )
        try:
            secret = token if token is not None else read_token(paths)
        except BaseException:
            writer.close()
            raise
        conn = cls(reader, writer, paths)
        await conn._handshake(secret, client_name, timeout)
        return conn

    async def _handshake(self, token: str, client_name: str, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        self._welcome_waiter = loop.create_future()
        self._task = loop.create_task(self._read_loop())
        self._writer.write(P.encode_json_frame(P.FrameKind.HELLO, P.make_hello(token, client_name)))
        try:
            self.welcome = await asyncio.wait_for(asyncio.shield(self._welcome_waiter), timeout)
        except asyncio.TimeoutError:
            self._shutdown(ConnectionLostError(f"the daemon on {self.paths.socket} did not answer the handshake within {timeout:g} s"))
            raise self._closed from None  # type: ignore[misc]
        except BaseException:
            self._shutdown(ConnectionLostError("handshake abandoned"))
            raise

    @property
    def is_open(self) -> bool:
        return self._closed is None

    @property
    def closed_reason(self) -> Optional[QuireError]:
        return self._closed

    def check_open(self) -> None:
        if self._closed is not None:
            raise self._closed

    async def close(self) -> None:
        self._shutdown(ConnectionLostError("this client closed its connection to the Quire daemon; connect() again to reconnect"))
        if self._task is not None and self._task is not asyncio.current_task():
            try:
                await self._task
            except BaseException:
                pass

    # ---- sending ---------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        if self._closed is None:
            self._writer.write(data)

    def start_request(self, method: str, params: Dict[str, Any]) -> "tuple[int, asyncio.Future[Any]]":
        """Sends a request now; returns its id (to match execute-output) and its future."""
        self.check_open()
        rid = self._next_id
        self._next_id += 1
        fut: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        self._methods[rid] = method
        self._write(P.encode_json_frame(P.FrameKind.REQUEST, {"id": rid, "method": method, "params": params}))
        return rid, fut

    async def request(self, method: str, params: Dict[str, Any], timeout: Optional[float] = None) -> Any:
        _, fut = self.start_request(method, params)
        await self._drain()
        if timeout is None:
            return await fut
        return await asyncio.wait_for(fut, timeout)

    async def request_dict(self, method: str, params: Dict[str, Any], timeout: Optional[float] = None) -> Dict[str, Any]:
        """A request whose result is a JSON object (every method's is)."""
        result = await self.request(method, params, timeout)
        if not isinstance(result, dict):
            raise ProtocolError(f"the daemon answered {method} with {type(result).__name__}, not an object")
        return result

    async def _drain(self) -> None:
        try:
            await self._writer.drain()
        except (ConnectionError, OSError):
            pass  # the read loop reports the loss

    def send_sync(self, room_id: str, message: bytes) -> None:
        self._write(P.encode_sync_frame(room_id, message))

    # ---- listeners -------------------------------------------------------------------

    def on_sync(self, room_id: str, listener: SyncListener) -> Callable[[], None]:
        self._sync_listeners[room_id] = listener
        for message in self._early_sync.pop(room_id, []):
            listener(message)

        def off() -> None:
            if self._sync_listeners.get(room_id) is listener:
                del self._sync_listeners[room_id]

        return off

    def on_broadcast(self, listener: BroadcastListener) -> Callable[[], None]:
        self._broadcast_listeners.append(listener)
        return lambda: self._broadcast_listeners.remove(listener) if listener in self._broadcast_listeners else None

    def on_close(self, listener: CloseListener) -> Callable[[], None]:
        self._close_listeners.append(listener)
        return lambda: self._close_listeners.remove(listener) if listener in self._close_listeners else None

    def begin_open(self) -> None:
        """Keep sync frames for rooms nobody listens to yet (the daemon syncs before `open` answers)."""
        self._opening += 1

    def end_open(self) -> None:
        self._opening -= 1
        if self._opening <= 0:
            self._opening = 0
            self._early_sync.clear()

    # ---- receiving -------------------------------------------------------------------

    async def _read_loop(self) -> None:
        try:
            while self._closed is None:
                try:
                    chunk = await self._reader.read(_READ_CHUNK)
                except (ConnectionError, OSError) as err:
                    self._shutdown(self._lost(f"the socket failed ({err})"))
                    return
                if not chunk:
                    self._shutdown(self._lost("the daemon closed the connection"))
                    return
                try:
                    frames = self._decoder.push(chunk)
                    for frame in frames:
                        if self._closed is not None:
                            return
                        self._on_frame(frame)
                except ProtocolError as err:
                    self._shutdown(ProtocolError(f"bad frame from the daemon: {err}; connect() again", err.code))
                    return
                except Exception as err:  # pragma: no cover - a bug here must not leave callers hanging
                    self._shutdown(ProtocolError(f"the Quire client failed on a frame from the daemon ({err!r}); connect() again", "internal"))
                    raise
        except asyncio.CancelledError:
            self._shutdown(ConnectionLostError("the Quire client's event loop stopped; connect() again"))
            raise

    def _lost(self, why: str) -> ConnectionLostError:
        if self._welcome_waiter is not None:
            return ConnectionLostError(f"{why} during the handshake on {self.paths.socket}; see {self.paths.log}")
        return ConnectionLostError(
            f"lost the connection to the Quire daemon on {self.paths.socket}: {why} "
            "(the daemon stopped or restarted). Sessions on this connection are closed; "
            "call connect() again to reconnect, then open the notebook again."
        )

    def _on_frame(self, frame: P.Frame) -> None:
        kind = frame.kind
        if kind == P.FrameKind.WELCOME:
            welcome = P.parse_welcome(P.decode_json_payload(frame))
            if self._welcome_waiter is None:
                raise ProtocolError("the daemon sent a second welcome")
            waiter, self._welcome_waiter = self._welcome_waiter, None
            if not waiter.done():
                waiter.set_result(welcome)
        elif kind == P.FrameKind.ERROR:
            self._shutdown(self._error_from_frame(P.parse_protocol_error(P.decode_json_payload(frame))))
        elif kind == P.FrameKind.RESPONSE:
            response = P.parse_response(P.decode_json_payload(frame))
            rid = int(response["id"])
            fut = self._pending.pop(rid, None)
            method = self._methods.pop(rid, "")
            if fut is None or fut.done():
                return
            if response["ok"]:
                fut.set_result(response["result"])
            else:
                error = response["error"]
                fut.set_exception(RequestError(error["code"], f"{method}: {error['message']}", method))
        elif kind == P.FrameKind.SYNC:
            room_id, message = P.decode_sync_payload(frame.payload)
            sync_listener = self._sync_listeners.get(room_id)
            if sync_listener is not None:
                sync_listener(message)
            elif self._opening > 0:
                early = self._early_sync.setdefault(room_id, [])
                if len(early) < _EARLY_SYNC_CAP:
                    early.append(message)
        elif kind == P.FrameKind.BROADCAST:
            event = P.parse_broadcast(P.decode_json_payload(frame))
            if event is None:
                return  # an event this client does not know: a newer daemon
            for broadcast_listener in list(self._broadcast_listeners):
                try:
                    broadcast_listener(event)
                except ProtocolError:
                    raise
                except Exception:  # a user callback (execute's on_output, on_custom …) failed
                    traceback.print_exc()
        else:
            raise FrameError("unexpected-frame", f"a daemon may not send frame kind {kind}")

    def _error_from_frame(self, error: Optional[Dict[str, str]]) -> QuireError:
        if error is None:
            return ProtocolError("the daemon sent a malformed error frame and closed the connection")
        code, message = error["code"], error["message"]
        if code == "bad-token":
            return AuthenticationError(
                f"the Quire daemon refused this client's token ({message}). Check the token file "
                f"{self.paths.token}: it must hold the token of the daemon running now (each daemon "
                "start writes a new one), and the client must use the same QUIRE_HOME; then connect() again."
            )
        if code == "protocol-mismatch":
            return ProtocolMismatchError(
                f"{message} (this quire-client speaks protocol {P.PROTOCOL_VERSION}); "
                "use a quire-client that matches the daemon"
            )
        return ProtocolError(f"the daemon closed the connection: {code}: {message}", code)

    def _shutdown(self, reason: QuireError) -> None:
        if self._closed is not None:
            return
        self._closed = reason
        if self._welcome_waiter is not None and not self._welcome_waiter.done():
            self._welcome_waiter.set_exception(reason)
            # Consumed by _handshake; keep asyncio from logging "exception never retrieved".
            self._welcome_waiter.exception()
        self._welcome_waiter = None
        pending, self._pending = self._pending, {}
        self._methods.clear()
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(reason)
        self._early_sync.clear()
        for listener in list(self._close_listeners):
            try:
                listener(reason)
            except Exception:  # a listener's bug must not stop the shutdown
                pass
        try:
            self._writer.close()
        except Exception:
            pass

