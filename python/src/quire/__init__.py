"""Quire's Python client: open a notebook the Quire daemon runs, read and change its widgets,
run code — and see exactly what the windows see.

    import quire

    with quire.connect() as client:                  # finds (or starts) the daemon
        nb = client.open_notebook("demo.ipynb")      # a live Automerge replica of its doc
        nb.execute("import ipywidgets as w; s = w.IntSlider(); display(s)")
        nb.confirm_sync()                            # replica holds all the daemon had
        slider = [w for w in nb.get_widgets() if w["modelName"] == "IntSliderModel"][0]
        nb.update_widget(slider["id"], {"value": 42})   # reaches the kernel and every window
        nb.save()

This synchronous API runs :mod:`quire.aio` (asyncio) on a private event-loop thread, so the
replica keeps syncing between calls. Callbacks (``on_custom``, ``on_change``,
``on_kernel_status``, ``execute(on_output=…)``) run on that thread: keep them short, and
call only the reads (``get_widgets`` …) and ``update_widget`` from inside them.
"""
from __future__ import annotations

import asyncio
import os
import threading
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, TypeVar

from . import aio
from .errors import (
    AuthenticationError,
    ConnectionLostError,
    DaemonNotRunningError,
    FrameError,
    ProtocolError,
    ProtocolMismatchError,
    QuireError,
    RequestError,
    SyncTimeoutError,
    UnknownWidgetError,
)
from .paths import QuirePaths
from .records import CellView, CommRecord, CustomMessage, ExecuteResult, KernelView, is_blob_ref

__version__ = "0.1.0"

__all__ = [
    "connect",
    "Client",
    "Session",
    "AsyncClient",
    "AsyncSession",
    "CommRecord",
    "CellView",
    "KernelView",
    "ExecuteResult",
    "CustomMessage",
    "is_blob_ref",
    "QuireError",
    "DaemonNotRunningError",
    "AuthenticationError",
    "ProtocolMismatchError",
    "ConnectionLostError",
    "ProtocolError",
    "FrameError",
    "RequestError",
    "SyncTimeoutError",
    "UnknownWidgetError",
]

AsyncClient = aio.AsyncClient
AsyncSession = aio.AsyncSession

T = TypeVar("T")


class _LoopThread:
    """A private asyncio loop on a daemon thread; the sync API submits work to it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="quire-client", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(self.loop)
            for task in tasks:
                task.cancel()
            if tasks:
                self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self.loop.close()

    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self.thread

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        if self.in_loop_thread():
            raise QuireError(
                f"{getattr(fn, '__name__', 'this call')}() blocks, so it cannot be called from a quire callback "
                "(callbacks run on the client's event-loop thread); call it after the callback returns, "
                "or use quire.aio",
                "in-callback",
            )
        if self.loop.is_closed() or not self.thread.is_alive():
            raise ConnectionLostError("this client is closed; connect() again")

        async def job() -> T:
            return await fn(*args, **kwargs)

        future = asyncio.run_coroutine_threadsafe(job(), self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Runs a plain function on the loop thread (directly when already there)."""
        if self.in_loop_thread():
            return fn(*args, **kwargs)

        async def job() -> T:
            return fn(*args, **kwargs)

        return self.run(job)

    def stop(self) -> None:
        if self.thread.is_alive() and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)
            if not self.in_loop_thread():
                self.thread.join(10)


class Session:
    """One open notebook (synchronous). Every method mirrors :class:`quire.aio.AsyncSession`."""

    def __init__(self, runner: _LoopThread, session: aio.AsyncSession) -> None:
        self._runner = runner
        self._session = session

    @property
    def path(self) -> str:
        return self._session.path

    @property
    def room_id(self) -> str:
        return self._session.room_id

    @property
    def closed(self) -> bool:
        return self._session.closed

    @property
    def aio(self) -> aio.AsyncSession:
        """The asyncio session underneath (its loop runs on the client's thread)."""
        return self._session

    # sync
    def confirm_sync(self, timeout: float = 30.0) -> None:
        """Returns once this replica holds every change the daemon had when it was called."""
        self._runner.run(self._session.confirm_sync, timeout)

    def confirm_sent(self, timeout: float = 30.0) -> None:
        """Returns once the daemon holds every change of this replica."""
        self._runner.run(self._session.confirm_sent, timeout)

    def heads(self) -> List[str]:
        return self._runner.call(self._session.heads)

    # reads
    def get_widgets(self) -> List[CommRecord]:
        """Every widget, sorted by ``seq``: the records of ``quire widgets --json``."""
        return self._runner.call(self._session.get_widgets)

    def get_widget(self, comm_id: str) -> Optional[CommRecord]:
        return self._runner.call(self._session.get_widget, comm_id)

    def get_cells(self) -> List[CellView]:
        return self._runner.call(self._session.get_cells)

    def get_kernel(self) -> KernelView:
        return self._runner.call(self._session.get_kernel)

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self._runner.call(self._session.on_change, listener)

    # writes
    def update_widget(self, comm_id: str, patch: Mapping[str, Any]) -> List[str]:
        """Changes widget traits in this replica; the daemon forwards them to the kernel."""
        return self._runner.call(self._session.update_widget, comm_id, patch)

    # requests
    def execute(
        self,
        code: Optional[str] = None,
        *,
        cell_id: Optional[str] = None,
        on_output: Optional[Callable[[Dict[str, Any]], None]] = None,
        timeout: Optional[float] = None,
    ) -> ExecuteResult:
        """Runs code in the notebook's kernel (or a cell by ``cell_id=``); see AsyncSession.execute."""
        return self._runner.run(self._session.execute, code, cell_id=cell_id, on_output=on_output, timeout=timeout)

    def interrupt(self) -> Dict[str, Any]:
        return self._runner.run(self._session.interrupt)

    def restart(self) -> Dict[str, Any]:
        return self._runner.run(self._session.restart)

    def shutdown_kernel(self) -> Dict[str, Any]:
        return self._runner.run(self._session.shutdown_kernel)

    def save(self, path: Optional[str] = None) -> Dict[str, Any]:
        return self._runner.run(self._session.save, path)

    def send_custom(self, comm_id: str, content: Mapping[str, Any], buffers: Sequence[bytes] = ()) -> Dict[str, Any]:
        """Sends a custom widget message to the kernel (ephemeral: never in the doc)."""
        return self._runner.run(self._session.send_custom, comm_id, content, buffers)

    def on_custom(self, listener: Callable[[CustomMessage], None]) -> Callable[[], None]:
        return self._runner.call(self._session.on_custom, listener)

    def on_kernel_status(self, listener: Callable[[str], None]) -> Callable[[], None]:
        return self._runner.call(self._session.on_kernel_status, listener)

    def get_blob(self, hash: str) -> bytes:
        return self._runner.run(self._session.get_blob, hash)

    def close(self, shutdown_kernel_if_unused: Optional[bool] = None) -> None:
        self._runner.run(self._session.close, shutdown_kernel_if_unused)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Client:
    """A connection to the daemon (synchronous). Get one with :func:`connect`."""

    def __init__(self, runner: _LoopThread, client: aio.AsyncClient) -> None:
        self._runner = runner
        self._client = client

    @property
    def paths(self) -> QuirePaths:
        return self._client.paths

    @property
    def welcome(self) -> Dict[str, Any]:
        return self._client.welcome

    @property
    def is_connected(self) -> bool:
        return self._client.is_connected

    def open_notebook(self, path: "str | os.PathLike[str]", *, create: Optional[bool] = None, timeout: float = 30.0) -> Session:
        """Joins a notebook's room: returns a session whose replica holds the daemon's doc."""
        return Session(self._runner, self._runner.run(self._client.open_notebook, path, create=create, timeout=timeout))

    def status(self) -> Dict[str, Any]:
        return self._runner.run(self._client.status)

    def kernelspecs(self) -> Dict[str, Any]:
        return self._runner.run(self._client.kernelspecs)

    def stop_daemon(self) -> Dict[str, Any]:
        return self._runner.run(self._client.stop_daemon)

    def on_disconnect(self, listener: Callable[[QuireError], None]) -> Callable[[], None]:
        return self._runner.call(self._client.on_disconnect, listener)

    def close(self) -> None:
        try:
            if not self._runner.loop.is_closed():
                self._runner.run(self._client.close)
        finally:
            self._runner.stop()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    *,
    env: Optional[Mapping[str, str]] = None,
    autostart: bool = True,
    daemon_command: Optional[Sequence[str]] = None,
    client_name: str = "python",
    token: Optional[str] = None,
    timeout: float = 20.0,
) -> Client:
    """Connects to the user's Quire daemon (synchronous); see :func:`quire.aio.connect`."""
    runner = _LoopThread()
    try:
        client = runner.run(
            aio.connect,
            env=env,
            autostart=autostart,
            daemon_command=daemon_command,
            client_name=client_name,
            token=token,
            timeout=timeout,
        )
    except BaseException:
        runner.stop()
        raise
    return Client(runner, client)
