"""The asyncio client. ``quire`` (the synchronous API) wraps this module.

    import quire.aio

    async def main():
        async with await quire.aio.connect() as client:
            nb = await client.open_notebook("demo.ipynb")
            await nb.execute("import ipywidgets as w; s = w.IntSlider(); display(s)")
            await nb.confirm_sync()
            slider = [w for w in nb.get_widgets() if w["modelName"] == "IntSliderModel"][0]
            nb.update_widget(slider["id"], {"value": 42})
            await nb.save()

Reads (``get_widgets``, ``get_cells``, …) and ``update_widget`` work on this client's own
Automerge replica and return at once; everything that talks to the daemon is a coroutine.
"""
from __future__ import annotations

import asyncio
import base64
import copy
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from automerge.core import Document, Message, SyncState

from . import schema
from ._connection import Connection
from .errors import ProtocolError, QuireError, SyncTimeoutError, UnknownWidgetError
from .paths import QuirePaths, default_paths
from .records import CellView, CommRecord, CustomMessage, ExecuteResult, KernelView

__all__ = ["connect", "AsyncClient", "AsyncSession"]

Unsubscribe = Callable[[], None]


def _call_all(listeners: Sequence[Callable[..., None]], *args: Any) -> None:
    for listener in list(listeners):
        try:
            listener(*args)
        except Exception:  # pragma: no cover - a user callback's bug must not break syncing
            import traceback

            traceback.print_exc()


class AsyncSession:
    """One open notebook: a live replica of its doc plus the notebook's requests."""

    def __init__(self, conn: Connection, room_id: str, path: str) -> None:
        self._conn = conn
        self.room_id = room_id
        self.path = path
        self._doc = Document()
        self._sync_state = SyncState()
        self._known: Set[bytes] = set()
        self._heads: List[bytes] = []
        self._comms_cache: Optional[Tuple[Tuple[bytes, ...], List[CommRecord]]] = None
        self._head_waiters: List[Tuple[List[str], "asyncio.Future[None]"]] = []
        self._change_listeners: List[Callable[[], None]] = []
        self._custom_listeners: List[Callable[[CustomMessage], None]] = []
        self._status_listeners: List[Callable[[str], None]] = []
        self._closed = False
        self._disposers: List[Unsubscribe] = [
            conn.on_broadcast(self._on_broadcast),
            conn.on_close(self._on_connection_closed),
            conn.on_sync(room_id, self._receive_sync),  # last: it replays frames that came early
        ]

    # ---- sync ------------------------------------------------------------------------

    def _start(self) -> None:
        self._send_sync()

    def _receive_sync(self, message: bytes) -> None:
        try:
            self._doc.receive_sync_message(self._sync_state, Message.decode(message))
        except Exception as err:
            raise ProtocolError(f"the daemon sent a sync message for {self.path} that Automerge rejects: {err}") from None
        self._send_sync()
        self._after_change()

    def _send_sync(self) -> None:
        if self._closed or not self._conn.is_open:
            return
        message = self._doc.generate_sync_message(self._sync_state)
        if message is not None:
            self._conn.send_sync(self.room_id, message.encode())

    def _after_change(self) -> None:
        heads = self._doc.get_heads()
        if heads == self._heads:
            return
        for change in self._doc.get_changes(self._heads):
            self._known.add(change.hash)
        self._heads = heads
        self._comms_cache = None
        _call_all(self._change_listeners)
        for waiter in list(self._head_waiters):
            hashes, fut = waiter
            if self._has_heads(hashes) and not fut.done():
                fut.set_result(None)

    def _has_heads(self, heads: Sequence[str]) -> bool:
        try:
            return all(bytes.fromhex(h) in self._known for h in heads)
        except ValueError:
            raise ProtocolError(f"the daemon sent heads that are not hex: {list(heads)[:3]}") from None

    def heads(self) -> List[str]:
        """This replica's heads (hex change hashes, as Automerge's JavaScript ``getHeads``)."""
        return [h.hex() for h in self._heads]

    async def confirm_sync(self, timeout: float = 30.0) -> None:
        """Returns once this replica holds every change the daemon had when it was called."""
        self._check_open()
        result = await self._conn.request_dict("heads", {"roomId": self.room_id})
        heads = list(result["heads"])
        if self._has_heads(heads):
            return
        fut: "asyncio.Future[None]" = asyncio.get_running_loop().create_future()
        waiter = (heads, fut)
        self._head_waiters.append(waiter)
        self._send_sync()
        try:
            await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            raise SyncTimeoutError(
                f"confirm_sync: the replica of {self.path} did not catch up with the daemon within {timeout:g} s"
            ) from None
        finally:
            if waiter in self._head_waiters:
                self._head_waiters.remove(waiter)

    async def confirm_sent(self, timeout: float = 30.0) -> None:
        """Returns once the daemon holds every change of this replica."""
        self._check_open()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        mine = self.heads()
        while True:
            result = await self._conn.request_dict("heads", {"roomId": self.room_id, "contains": mine})
            if result.get("contains"):
                return
            if loop.time() > deadline:
                raise SyncTimeoutError(f"the daemon did not receive this client's changes to {self.path} within {timeout:g} s")
            self._send_sync()
            await asyncio.sleep(0.01)

    # ---- reads -----------------------------------------------------------------------

    @property
    def doc(self) -> Document:
        """The replica itself (``automerge.core.Document``); read it, do not change it."""
        return self._doc

    def get_widgets(self) -> List[CommRecord]:
        """Every widget, sorted by ``seq``: the records of the TypeScript ``getWidgets()``."""
        key = tuple(self._heads)
        if self._comms_cache is None or self._comms_cache[0] != key:
            self._comms_cache = (key, schema.get_comms(self._doc))
        return [_copy_record(r) for r in self._comms_cache[1]]

    def get_widget(self, comm_id: str) -> Optional[CommRecord]:
        return schema.get_comm(self._doc, comm_id)

    def get_cells(self) -> List[CellView]:
        return schema.get_cells(self._doc)

    def get_kernel(self) -> KernelView:
        return schema.get_kernel(self._doc)

    def on_change(self, listener: Callable[[], None]) -> Unsubscribe:
        """Calls ``listener()`` after every change of the replica (from the daemon or local)."""
        self._change_listeners.append(listener)
        return lambda: _remove(self._change_listeners, listener)

    # ---- writes ----------------------------------------------------------------------

    def update_widget(self, comm_id: str, patch: Mapping[str, Any]) -> List[str]:
        """Changes widget traits in this replica; the daemon forwards them to the kernel.

        Only traits whose JSON text differs are written; returns their names.
        """
        self._check_open()
        written = schema.set_comm_state(self._doc, comm_id, patch)
        if written is None:
            raise UnknownWidgetError(
                f"no widget {comm_id} in {self.path}: get_widgets() lists the ones this replica holds "
                "(call confirm_sync() first if the kernel just created it)"
            )
        if written:
            self._after_change()
            self._send_sync()
        return written

    # ---- requests --------------------------------------------------------------------

    async def execute(
        self,
        code: Optional[str] = None,
        *,
        cell_id: Optional[str] = None,
        on_output: Optional[Callable[[Dict[str, Any]], None]] = None,
        timeout: Optional[float] = None,
    ) -> ExecuteResult:
        """Runs code in the notebook's kernel (started if needed), or a cell by id.

        Outputs of code go to ``on_output`` as they arrive and into the result; a cell's go
        to the doc. ``status`` is ``ok``, ``error`` (see ``error``) or ``aborted``.
        """
        self._check_open()
        if (code is None) == (cell_id is None):
            raise TypeError("execute() takes code or cell_id=, exactly one of them")
        params: Dict[str, Any] = {"roomId": self.room_id}
        if code is not None:
            params["code"] = code
        else:
            params["cellId"] = cell_id
        rid, fut = self._conn.start_request("execute", params)
        off: Optional[Unsubscribe] = None
        if on_output is not None:
            callback = on_output

            def listener(event: Dict[str, Any]) -> None:
                if event["event"] == "execute-output" and event["roomId"] == self.room_id and event["requestId"] == rid:
                    callback(event["output"])

            off = self._conn.on_broadcast(listener)
        try:
            if timeout is None:
                result: ExecuteResult = await fut
            else:
                result = await asyncio.wait_for(fut, timeout)
            return result
        finally:
            if off is not None:
                off()

    async def interrupt(self) -> Dict[str, Any]:
        return await self._request("interrupt", {"roomId": self.room_id})

    async def restart(self) -> Dict[str, Any]:
        return await self._request("restart", {"roomId": self.room_id})

    async def shutdown_kernel(self) -> Dict[str, Any]:
        return await self._request("shutdownKernel", {"roomId": self.room_id})

    async def save(self, path: Optional[str] = None) -> Dict[str, Any]:
        """Saves the notebook (to ``path`` if given), after the daemon has this client's edits."""
        await self.confirm_sent()
        params: Dict[str, Any] = {"roomId": self.room_id}
        if path is not None:
            params["path"] = os.path.abspath(os.fspath(path))
        return await self._request("save", params)

    async def send_custom(
        self, comm_id: str, content: Mapping[str, Any], buffers: Sequence[bytes] = ()
    ) -> Dict[str, Any]:
        """Sends a custom widget message to the kernel (ephemeral: never in the doc)."""
        return await self._request(
            "sendCustom",
            {
                "roomId": self.room_id,
                "commId": comm_id,
                "content": dict(content),
                "buffers": [base64.b64encode(bytes(b)).decode("ascii") for b in buffers],
            },
        )

    def on_custom(self, listener: Callable[[CustomMessage], None]) -> Unsubscribe:
        """Calls ``listener(message)`` for each custom message a widget of this notebook sends."""
        self._custom_listeners.append(listener)
        return lambda: _remove(self._custom_listeners, listener)

    def on_kernel_status(self, listener: Callable[[str], None]) -> Unsubscribe:
        self._status_listeners.append(listener)
        return lambda: _remove(self._status_listeners, listener)

    async def get_blob(self, hash: str) -> bytes:
        """The bytes behind a ``{"$quireBlob": hash}`` trait value."""
        result = await self._request("getBlob", {"hash": hash})
        return base64.b64decode(result["base64"])

    async def close(self, shutdown_kernel_if_unused: Optional[bool] = None) -> None:
        """Leaves the notebook after the daemon has this client's edits."""
        if self._closed:
            return
        try:
            if self._conn.is_open:
                await self.confirm_sent(5.0)
                params: Dict[str, Any] = {"roomId": self.room_id}
                if shutdown_kernel_if_unused is not None:
                    params["shutdownKernelIfUnused"] = shutdown_kernel_if_unused
                await self._conn.request("close", params)
        finally:
            self._closed = True
            self._dispose()

    @property
    def closed(self) -> bool:
        return self._closed or not self._conn.is_open

    # ---- internals -------------------------------------------------------------------

    async def _request(self, method: str, params: Dict[str, Any]) -> Dict[str, Any]:
        self._check_open()
        return await self._conn.request_dict(method, params)

    def _check_open(self) -> None:
        self._conn.check_open()
        if self._closed:
            raise QuireError(f"the session on {self.path} is closed; open the notebook again", "session-closed")

    def _dispose(self) -> None:
        for dispose in self._disposers:
            dispose()
        self._disposers = []

    def _on_broadcast(self, event: Dict[str, Any]) -> None:
        if event["roomId"] != self.room_id:
            return
        if event["event"] == "custom":
            try:
                buffers = [base64.b64decode(b) for b in event["buffers"]]
            except ValueError:
                raise ProtocolError("the daemon sent a custom message whose buffers are not base64") from None
            _call_all(self._custom_listeners, CustomMessage(event["commId"], event["content"], buffers))
        elif event["event"] == "kernel-status":
            _call_all(self._status_listeners, event["status"])

    def _on_connection_closed(self, reason: QuireError) -> None:
        for _, fut in self._head_waiters:
            if not fut.done():
                fut.set_exception(reason)
        self._dispose()


class AsyncClient:
    """A connection to the daemon. Get one with :func:`connect`."""

    def __init__(self, connection: Connection, paths: QuirePaths) -> None:
        self.connection = connection
        self.paths = paths
        self._sessions: Dict[str, AsyncSession] = {}

    @property
    def welcome(self) -> Dict[str, Any]:
        """The daemon's handshake answer: ``{protocol, daemon: {version, pid}, connectionId}``."""
        return self.connection.welcome

    @property
    def is_connected(self) -> bool:
        return self.connection.is_open

    async def open_notebook(self, path: "str | os.PathLike[str]", *, create: Optional[bool] = None, timeout: float = 30.0) -> AsyncSession:
        """Joins a notebook's room: returns a session whose replica holds the daemon's doc."""
        params: Dict[str, Any] = {"path": os.path.abspath(os.fspath(path))}
        if create is not None:
            params["create"] = create
        self.connection.begin_open()
        try:
            result = await self.connection.request_dict("open", params)
            room_id = str(result["roomId"])
            existing = self._sessions.get(room_id)
            if existing is not None and not existing.closed:
                raise QuireError(
                    f"{result['path']} is already open on this client; use that session (or close it first)",
                    "already-open",
                )
            session = AsyncSession(self.connection, room_id, str(result["path"]))
        finally:
            self.connection.end_open()
        session._start()
        self._sessions[room_id] = session
        await session.confirm_sync(timeout)
        return session

    async def status(self) -> Dict[str, Any]:
        return await self.connection.request_dict("status", {})

    async def kernelspecs(self) -> Dict[str, Any]:
        return await self.connection.request_dict("kernelspecs", {})

    async def stop_daemon(self) -> Dict[str, Any]:
        """Asks the daemon to shut its kernels down, persist docs and exit."""
        return await self.connection.request_dict("stop", {})

    def on_disconnect(self, listener: Callable[[QuireError], None]) -> Unsubscribe:
        """Calls ``listener(error)`` once when the connection is lost or closed."""
        return self.connection.on_close(listener)

    async def close(self) -> None:
        sessions = list(self._sessions.values())
        self._sessions.clear()
        for session in sessions:
            try:
                await session.close()
            except QuireError:
                pass
        await self.connection.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def connect(
    *,
    env: Optional[Mapping[str, str]] = None,
    autostart: bool = True,
    daemon_command: Optional[Sequence[str]] = None,
    client_name: str = "python",
    token: Optional[str] = None,
    timeout: float = 20.0,
) -> AsyncClient:
    """Connects to the user's Quire daemon, starting one when none runs (``autostart``).

    The daemon is found like every Quire client finds it: ``QUIRE_HOME``, else
    ``$XDG_RUNTIME_DIR/quire`` / ``~/.local/state/quire`` (``env`` defaults to
    ``os.environ``). The token is read from the daemon's token file unless given. To start
    a daemon, ``daemon_command`` or ``$QUIRE_DAEMON_COMMAND`` or ``quire daemon --detached``
    (with ``quire`` on PATH) is run.
    """
    environ = os.environ if env is None else env
    paths = default_paths(environ)
    conn = await Connection.open(
        paths,
        token=token,
        client_name=client_name,
        autostart=autostart,
        daemon_command=daemon_command,
        env=environ,
        timeout=timeout,
    )
    return AsyncClient(conn, paths)


def _remove(items: List[Any], item: Any) -> None:
    if item in items:
        items.remove(item)


def _copy_record(record: CommRecord) -> CommRecord:
    return copy.deepcopy(record)

