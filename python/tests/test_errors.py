"""Errors a user meets say what happened and what to do, and there is a way back."""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import List

import pytest

import quire
from conftest import NODE, QUIRE_BIN, TestDaemon, wait_for


def test_a_wrong_token_says_to_check_the_token_file(own_daemon: TestDaemon) -> None:
    token_file = Path(own_daemon.paths.token)
    with pytest.raises(quire.AuthenticationError) as info:
        own_daemon.connect(token="0" * 64)
    assert "check the token file" in str(info.value).lower()
    assert str(token_file) in str(info.value)

    # A stale token file (a previous daemon's) is what users meet: same error, then recovery.
    real = token_file.read_text()
    token_file.write_text("f" * 64)
    try:
        with pytest.raises(quire.AuthenticationError, match="token file"):
            own_daemon.connect()
    finally:
        token_file.write_text(real)
    with own_daemon.connect() as client:
        assert client.status()["pid"] == own_daemon.proc.pid  # type: ignore[union-attr]


def test_an_unreadable_token_file_says_so(own_daemon: TestDaemon) -> None:
    token_file = Path(own_daemon.paths.token)
    real = token_file.read_text()
    token_file.unlink()
    try:
        with pytest.raises(quire.AuthenticationError, match="cannot read the daemon token file"):
            own_daemon.connect()
    finally:
        token_file.write_text(real)


def test_a_daemon_restart_gives_a_clear_error_and_connect_again_works(own_daemon: TestDaemon) -> None:
    path = own_daemon.notebook("restart.ipynb")
    client = own_daemon.connect()
    nb = client.open_notebook(path)
    nb.execute("import ipywidgets as w\ns = w.IntSlider(value=4)")
    nb.confirm_sync()
    lost: List[quire.QuireError] = []
    gone = threading.Event()

    def on_disconnect(err: quire.QuireError) -> None:
        lost.append(err)
        gone.set()

    client.on_disconnect(on_disconnect)

    own_daemon.stop()
    assert gone.wait(15), "the client did not notice the daemon stopping"
    assert not client.is_connected
    with pytest.raises(quire.ConnectionLostError) as info:
        nb.execute("print(1)")
    message = str(info.value)
    assert "daemon stopped or restarted" in message
    assert "connect() again" in message
    assert lost and isinstance(lost[0], quire.ConnectionLostError)
    with pytest.raises(quire.ConnectionLostError):
        nb.confirm_sync()
    # The replica stays readable after the loss (the daemon removed the kernel's widgets
    # when it shut the kernel down, and synced that before it went).
    assert isinstance(nb.get_widgets(), list)
    assert nb.get_kernel()["status"]
    client.close()

    with pytest.raises(quire.DaemonNotRunningError, match="quire daemon"):
        own_daemon.connect()

    own_daemon.start()
    with own_daemon.connect() as again:
        nb2 = again.open_notebook(path)
        result = nb2.execute("import ipywidgets as w\ns = w.IntSlider(value=5)")
        assert result["status"] == "ok"
        nb2.confirm_sync()
        assert [w["state"]["value"] for w in nb2.get_widgets() if w["modelName"] == "IntSliderModel"] == [5]


def test_no_daemon_and_no_autostart(fresh_home: TestDaemon) -> None:
    with pytest.raises(quire.DaemonNotRunningError) as info:
        quire.connect(env=fresh_home.env, autostart=False)
    assert fresh_home.paths.socket in str(info.value)
    assert "quire daemon" in str(info.value)


def test_no_daemon_and_nothing_to_start_one_with(fresh_home: TestDaemon) -> None:
    env = {**fresh_home.env, "PATH": os.path.dirname(sys.executable)}
    with pytest.raises(quire.DaemonNotRunningError, match="neither a `quire` command"):
        quire.connect(env=env)


def test_the_default_daemon_command_is_this_checkouts(fresh_home: TestDaemon) -> None:
    from quire._connection import default_daemon_command

    assert default_daemon_command(fresh_home.env) == [NODE, str(QUIRE_BIN), "daemon", "--detached"]
    assert default_daemon_command({**fresh_home.env, "QUIRE_DAEMON_COMMAND": "my-quire daemon --x"}) == ["my-quire", "daemon", "--x"]


def test_connect_starts_a_daemon_when_none_runs(fresh_home: TestDaemon) -> None:
    with quire.connect(env=fresh_home.env) as client:
        status = client.status()
        assert status["home"] == fresh_home.home
        client.stop_daemon()
    wait_for(lambda: not os.path.exists(fresh_home.paths.lock), "the daemon to stop", 15)


def test_blocking_calls_from_a_callback_are_refused_clearly(daemon: TestDaemon) -> None:
    with daemon.connect() as client:
        nb = client.open_notebook(daemon.notebook("callback.ipynb"))
        errors: List[BaseException] = []
        reads: List[int] = []
        done = threading.Event()

        def on_change() -> None:
            reads.append(len(nb.get_widgets()))  # reads are fine in a callback
            try:
                nb.confirm_sync()
            except quire.QuireError as err:
                errors.append(err)
            done.set()

        off = nb.on_change(on_change)
        nb.execute("import ipywidgets as w\ns = w.IntSlider()")
        assert done.wait(20)
        off()
        assert reads
        assert errors and "cannot be called from a quire callback" in str(errors[0])
