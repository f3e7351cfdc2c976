"""Fixtures: a real Quire daemon (``node bin/quire.mjs daemon``) in a throwaway QUIRE_HOME,
real ipykernels from the project's venv, the real CLI and Node SDK as separate processes."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

import quire
from quire.paths import QuirePaths, default_paths

REPO_ROOT = Path(os.environ.get("QUIRE_REPO") or Path(__file__).resolve().parents[2])
QUIRE_BIN = REPO_ROOT / "bin" / "quire.mjs"
NODE = shutil.which("node")
VECTORS = REPO_ROOT / "src-shared" / "protocol" / "vectors"


def wait_for(check: Callable[[], Any], what: str, timeout: float = 20.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


class TestDaemon:
    """``quire daemon`` in the foreground, in its own QUIRE_HOME (a short path: socket paths cap at ~100 bytes)."""

    __test__ = False

    def __init__(self) -> None:
        self.home = tempfile.mkdtemp(prefix="qp-")
        self.env: Dict[str, str] = {**os.environ, "QUIRE_HOME": self.home}
        self.env.pop("QUIRE_DAEMON_COMMAND", None)
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.clients: List[quire.Client] = []

    @property
    def paths(self) -> QuirePaths:
        return default_paths(self.env)

    def start(self) -> "TestDaemon":
        paths = self.paths
        # A restart must not see the previous daemon's socket as its own.
        wait_for(lambda: not os.path.exists(paths.socket), "the old socket to go", 15)
        stderr_path = os.path.join(self.home, "daemon.stderr")
        offset = os.path.getsize(stderr_path) if os.path.exists(stderr_path) else 0
        stderr = open(stderr_path, "ab")
        self.proc = subprocess.Popen(
            [NODE or "node", str(QUIRE_BIN), "daemon"],
            cwd=REPO_ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        stderr.close()
        proc = self.proc

        def ready() -> bool:
            if proc.poll() is not None:
                log = Path(self.home, "daemon.stderr").read_text(errors="replace")
                raise AssertionError(f"the daemon exited with {proc.returncode}: {log}")
            # The daemon logs this after listen() (the socket file exists a moment earlier).
            with open(stderr_path, "rb") as f:
                f.seek(offset)
                return b"listening on" in f.read()

        wait_for(ready, "the daemon socket", 30)
        return self

    def stop(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.proc = None

    def connect(self, **kwargs: Any) -> quire.Client:
        kwargs.setdefault("autostart", False)
        kwargs.setdefault("client_name", "pytest")
        client = quire.connect(env=self.env, **kwargs)
        self.clients.append(client)
        return client

    def notebook(self, name: str) -> str:
        return os.path.join(self.home, name)

    def cli(self, *args: str, timeout: float = 60) -> "subprocess.CompletedProcess[str]":
        return subprocess.run(
            [NODE or "node", str(QUIRE_BIN), *args],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def cli_widgets(self, path: str) -> List[Dict[str, Any]]:
        result = self.cli("widgets", path, "--json")
        assert result.returncode == 0, result.stderr
        widgets: List[Dict[str, Any]] = json.loads(result.stdout)
        return widgets

    def node(self, script: str, *args: str, timeout: float = 60) -> "subprocess.CompletedProcess[str]":
        """Runs a TypeScript script of tests/node with the repo's tsx loader (the Node SDK)."""
        return subprocess.run(
            [NODE or "node", "--import", "tsx", str(Path(__file__).parent / "node" / script), *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def cleanup(self) -> None:
        for client in self.clients:
            try:
                client.close()
            except Exception:
                pass
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def _require_node() -> None:
    if NODE is None:
        pytest.skip("node is not on PATH: the daemon tests need it")
    if not QUIRE_BIN.exists():
        pytest.skip(f"{QUIRE_BIN} not found: run the tests from a Quire checkout (or set QUIRE_REPO)")


def _running_daemon() -> Iterator[TestDaemon]:
    _require_node()
    d = TestDaemon().start()
    try:
        yield d
    finally:
        d.cleanup()


@pytest.fixture(scope="session")
def daemon() -> Iterator[TestDaemon]:
    """One daemon shared by the tests that leave it running."""
    yield from _running_daemon()


@pytest.fixture
def own_daemon() -> Iterator[TestDaemon]:
    """A daemon of this test's own, for tests that stop, restart or break it."""
    yield from _running_daemon()


@pytest.fixture
def fresh_home() -> Iterator[TestDaemon]:
    """A QUIRE_HOME where no daemon runs (yet)."""
    _require_node()
    d = TestDaemon()
    try:
        yield d
    finally:
        # A daemon the test started itself (autostart) is found by its lock file.
        lock = d.paths.lock
        try:
            pid = int(Path(lock).read_text())
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: not os.path.exists(lock), "the autostarted daemon to exit", 15)
        except (OSError, ValueError, AssertionError):
            pass
        d.cleanup()
