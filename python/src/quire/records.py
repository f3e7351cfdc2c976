"""The records the client hands out: key for key those of the TypeScript SDK
(``src-shared/schema/notebook-doc.ts`` and ``src-shared/protocol/messages.ts``), so a
record from Python and one from ``quire widgets --json`` compare equal."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, TypedDict, Union

__all__ = [
    "CommRecord",
    "CellView",
    "LastRun",
    "KernelView",
    "ExecuteResult",
    "ExecuteError",
    "CustomMessage",
    "BlobRef",
    "is_blob_ref",
]


class CommRecord(TypedDict):
    """One widget (comm) as every client sees it; ``state`` holds each trait's JSON value."""

    id: str
    targetName: str
    modelModule: str
    modelModuleVersion: str
    modelName: str
    seq: Union[int, float]
    state: Dict[str, Any]


class LastRun(TypedDict):
    """A cell's last execution: ms since the epoch, duration and status (None while running)."""

    startedAt: Union[int, float]
    durationMs: Optional[Union[int, float]]
    status: Optional[str]


class CellView(TypedDict):
    id: str
    cellType: str
    source: str
    executionCount: Optional[int]
    outputs: List[Dict[str, Any]]
    metadata: Dict[str, Any]
    run: str
    lastRun: Optional[LastRun]


class KernelView(TypedDict):
    status: str
    name: Optional[str]
    displayName: Optional[str]
    language: Optional[str]
    error: Optional[str]


class ExecuteError(TypedDict):
    ename: str
    evalue: str
    traceback: List[str]


class _ExecuteResultBase(TypedDict):
    msgId: str
    cellId: Optional[str]
    status: str
    executionCount: Optional[int]
    outputs: List[Dict[str, Any]]


class ExecuteResult(_ExecuteResultBase, total=False):
    """What ``execute`` returns; ``status`` is ``ok``, ``error`` or ``aborted``."""

    error: ExecuteError


#: A trait value whose bytes live in the daemon's blob store: ``{"$quireBlob": sha256}``.
BlobRef = TypedDict("BlobRef", {"$quireBlob": str})


def is_blob_ref(value: Any) -> bool:
    """True for ``{"$quireBlob": "<sha256>"}`` (fetch the bytes with ``get_blob``)."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("$quireBlob"), str)


@dataclass(frozen=True)
class CustomMessage:
    """An ephemeral widget message (``method: custom``); never part of the doc."""

    comm_id: str
    content: Dict[str, Any]
    buffers: List[bytes] = field(default_factory=list)
