"""Where the daemon keeps its files; the same rules as ``src-shared/runtime-paths.ts``.

``QUIRE_HOME`` relocates everything. Without it, state lives in ``~/.local/state/quire``
(``$XDG_STATE_HOME/quire``) and the socket, token and lock in ``$XDG_RUNTIME_DIR/quire``
(falling back to the state dir's ``run/``).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Mapping, Optional

__all__ = ["QuirePaths", "quire_paths", "default_paths"]


@dataclass(frozen=True)
class QuirePaths:
    home: str
    run_dir: str
    socket: str
    token: str
    lock: str
    log: str
    blobs: str
    docs: str
    kernels: str


def _join(*parts: str) -> str:
    return re.sub(r"/+", "/", "/".join(parts))


def quire_paths(env: Mapping[str, str], homedir: str) -> QuirePaths:
    explicit = env.get("QUIRE_HOME")
    state_home = env.get("XDG_STATE_HOME")
    if explicit is not None:
        home = explicit
    else:
        home = _join(state_home if state_home is not None else _join(homedir, ".local", "state"), "quire")
    xdg_runtime = env.get("XDG_RUNTIME_DIR")
    run_dir = _join(home, "run") if explicit or not xdg_runtime else _join(xdg_runtime, "quire")
    return QuirePaths(
        home=home,
        run_dir=run_dir,
        socket=_join(run_dir, "daemon.sock"),
        token=_join(run_dir, "token"),
        lock=_join(run_dir, "daemon.lock"),
        log=_join(home, "daemon.log"),
        blobs=_join(home, "blobs"),
        docs=_join(home, "docs"),
        kernels=_join(run_dir, "kernels"),
    )


def default_paths(env: Optional[Mapping[str, str]] = None) -> QuirePaths:
    return quire_paths(os.environ if env is None else env, os.path.expanduser("~"))
