"""Reads and writes the notebook doc: the Python twin of ``src-shared/schema/notebook-doc.ts``.

This module is the only Python code that knows paths inside the doc. Its readers return
exactly what the TypeScript accessors return (``get_comms`` ≡ ``getComms``: same records,
sorted by ``seq``); the shared vectors in ``src-shared/protocol/vectors`` check both.

Encoding (see the TypeScript module for the reasons): a comm is one immutable string
``opened`` (JSON of its model, seq and every trait's JSON text as opened) plus a map
``state`` of traits written since, each the trait's JSON text stored as an immutable string
(``ImmutableString`` in JavaScript, ``ScalarType.Str`` here), which win over ``opened``.
Schema 1 comms (model and seq as fields, every trait in ``state``) are still read. Strings written as plain JS
strings (cell ids, sources) are Automerge text; readers accept either.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from automerge.core import ROOT, Document, ObjType, ScalarType

from . import _jsjson
from .records import CellView, CommRecord, KernelView, LastRun

__all__ = [
    "SCHEMA_VERSION",
    "get_comms",
    "get_comm",
    "get_comm_ids",
    "get_comm_state_text",
    "get_cells",
    "get_kernel",
    "get_notebook_metadata",
    "is_dirty",
    "check_schema_version",
    "set_comm_state",
    "comm_state_json",
]

#: Bump with SCHEMA_VERSION in notebook-doc.ts; readers refuse a newer major.
SCHEMA_VERSION = 2

_Entry = Optional[Tuple[Any, bytes]]


def _get(doc: Document, obj: bytes, prop: Any) -> _Entry:
    try:
        return doc.get(obj, prop)
    except Exception:  # a path through a scalar, or a list index out of range
        return None


def _obj(doc: Document, obj: bytes, prop: Any) -> Optional[bytes]:
    """The id of the object at ``prop``, or None when it is absent or a scalar."""
    entry = _get(doc, obj, prop)
    if entry is not None and isinstance(entry[0], ObjType):
        return entry[1]
    return None


def _is_null(entry: _Entry) -> bool:
    return entry is None or (not isinstance(entry[0], ObjType) and entry[0][0] == ScalarType.Null)


def _text(doc: Document, entry: _Entry) -> str:
    """``text()`` of notebook-doc.ts: an immutable string or Automerge text, as str."""
    if entry is None:
        return ""
    value, obj_id = entry
    if value == ObjType.Text:
        return doc.text(obj_id)
    if not isinstance(value, ObjType) and value[0] == ScalarType.Str:
        return str(value[1])
    return ""


def _text_or_none(doc: Document, entry: _Entry) -> Optional[str]:
    return None if _is_null(entry) else _text(doc, entry)


def _is_stringy(entry: _Entry) -> bool:
    if entry is None:
        return False
    value = entry[0]
    return value == ObjType.Text or (not isinstance(value, ObjType) and value[0] == ScalarType.Str)


def _parse_json_text(doc: Document, entry: _Entry, fallback: Any) -> Any:
    if _is_null(entry) or not _is_stringy(entry):
        return fallback
    try:
        return _jsjson.parse(_text(doc, entry))
    except ValueError:
        return fallback


def _scalar(entry: _Entry) -> Any:
    if entry is None or isinstance(entry[0], ObjType):
        return None
    return entry[0][1]


# ---------------------------------------------------------------------------------------
# Read side


def _opened(doc: Document, comm: bytes) -> Dict[str, Any]:
    """``openedOf`` of notebook-doc.ts: the comm as opened (schema 2) or its schema 1 fields."""
    entry = _get(doc, comm, "opened")
    if entry is None:
        seq = _scalar(_get(doc, comm, "seq"))
        return {
            "targetName": _text(doc, _get(doc, comm, "targetName")),
            "modelModule": _text(doc, _get(doc, comm, "modelModule")),
            "modelModuleVersion": _text(doc, _get(doc, comm, "modelModuleVersion")),
            "modelName": _text(doc, _get(doc, comm, "modelName")),
            "seq": seq if isinstance(seq, (int, float)) and not isinstance(seq, bool) else 0,
            "state": {},
        }
    raw = _parse_json_text(doc, entry, None)
    raw = raw if isinstance(raw, dict) else {}

    def text_field(name: str) -> str:
        value = raw.get(name)
        return value if isinstance(value, str) else ""

    seq = raw.get("seq")
    state = raw.get("state")
    return {
        "targetName": text_field("targetName"),
        "modelModule": text_field("modelModule"),
        "modelModuleVersion": text_field("modelModuleVersion"),
        "modelName": text_field("modelName"),
        "seq": seq if isinstance(seq, (int, float)) and not isinstance(seq, bool) else 0,
        "state": {k: v for k, v in state.items() if isinstance(v, str)} if isinstance(state, dict) else {},
    }


def _parse_trait(text: str) -> Any:
    try:
        return _jsjson.parse(text)
    except ValueError:
        return None


def _comm_record(doc: Document, comm_id: str, comm: bytes) -> CommRecord:
    opened = _opened(doc, comm)
    state: Dict[str, Any] = {key: _parse_trait(text) for key, text in opened["state"].items()}
    state_obj = _obj(doc, comm, "state")
    if state_obj is not None:
        for key in doc.keys(state_obj):
            state[key] = _parse_json_text(doc, _get(doc, state_obj, key), None)
    return {
        "id": comm_id,
        "targetName": opened["targetName"],
        "modelModule": opened["modelModule"],
        "modelModuleVersion": opened["modelModuleVersion"],
        "modelName": opened["modelName"],
        "seq": opened["seq"],
        "state": state,
    }


def _seq_key(record: CommRecord) -> float:
    seq = record["seq"]
    return float(seq) if isinstance(seq, (int, float)) and not isinstance(seq, bool) else 0.0


def get_comms(doc: Document) -> List[CommRecord]:
    """All comms, sorted by ``seq`` so a model comes after the models it references.

    Equal seqs (which the daemon never writes) keep the doc's key order.
    """
    comms = _obj(doc, ROOT, "comms")
    if comms is None:
        return []
    records = []
    for comm_id in doc.keys(comms):
        comm = _obj(doc, comms, comm_id)
        if comm is not None:
            records.append(_comm_record(doc, comm_id, comm))
    records.sort(key=_seq_key)
    return records


def get_comm(doc: Document, comm_id: str) -> Optional[CommRecord]:
    comms = _obj(doc, ROOT, "comms")
    comm = _obj(doc, comms, comm_id) if comms is not None else None
    return _comm_record(doc, comm_id, comm) if comm is not None else None


def get_comm_ids(doc: Document) -> List[str]:
    comms = _obj(doc, ROOT, "comms")
    return list(doc.keys(comms)) if comms is not None else []


def get_comm_state_text(doc: Document, comm_id: str, key: str) -> Optional[str]:
    """The raw JSON text of one trait, as stored (written since opened, else as opened)."""
    comms = _obj(doc, ROOT, "comms")
    comm = _obj(doc, comms, comm_id) if comms is not None else None
    if comm is None:
        return None
    state = _obj(doc, comm, "state")
    entry = _get(doc, state, key) if state is not None else None
    if entry is not None:
        return _text(doc, entry)
    return _opened(doc, comm)["state"].get(key)


def get_cells(doc: Document) -> List[CellView]:
    cells = _obj(doc, ROOT, "cells")
    if cells is None:
        return []
    out: List[CellView] = []
    for i in range(doc.length(cells)):
        cell = _obj(doc, cells, i)
        if cell is None:
            continue
        outputs_obj = _obj(doc, cell, "outputs")
        outputs = []
        if outputs_obj is not None:
            for j in range(doc.length(outputs_obj)):
                outputs.append(_parse_json_text(doc, _get(doc, outputs_obj, j), {}))
        count = _scalar(_get(doc, cell, "executionCount"))
        out.append(
            {
                "id": _text(doc, _get(doc, cell, "id")),
                "cellType": _text(doc, _get(doc, cell, "cellType")),
                "source": _text(doc, _get(doc, cell, "source")),
                "executionCount": count,
                "outputs": outputs,
                "metadata": _parse_json_text(doc, _get(doc, cell, "metadata"), {}),
                "run": _text(doc, _get(doc, cell, "run")),
                "lastRun": _last_run(doc, cell),
            }
        )
    return out


def _last_run(doc: Document, cell: bytes) -> Optional[LastRun]:
    """``readLastRun`` of notebook-doc.ts: absent (older docs), null or malformed → None."""
    obj = _obj(doc, cell, "lastRun")
    if obj is None:
        return None
    started = _scalar(_get(doc, obj, "startedAt"))
    if not isinstance(started, (int, float)) or isinstance(started, bool):
        return None
    duration = _scalar(_get(doc, obj, "durationMs"))
    status = _text_or_none(doc, _get(doc, obj, "status"))
    return {
        "startedAt": started,
        "durationMs": duration if isinstance(duration, (int, float)) and not isinstance(duration, bool) else None,
        "status": status if status in ("ok", "error", "aborted") else None,
    }


def get_kernel(doc: Document) -> KernelView:
    k = _obj(doc, ROOT, "kernel")

    def field(name: str) -> _Entry:
        return _get(doc, k, name) if k is not None else None

    return {
        "status": _text(doc, field("status")) or "unknown",
        "name": _text_or_none(doc, field("name")),
        "displayName": _text_or_none(doc, field("displayName")),
        "language": _text_or_none(doc, field("language")),
        "error": _text_or_none(doc, field("error")),
    }


def get_notebook_metadata(doc: Document) -> Dict[str, Any]:
    value = _parse_json_text(doc, _get(doc, ROOT, "metadata"), {})
    return value if isinstance(value, dict) else {}


def is_dirty(doc: Document) -> bool:
    return _scalar(_get(doc, ROOT, "dirty")) is True


def check_schema_version(doc: Document) -> Optional[str]:
    """None when this client can read the doc, else why not."""
    version = _scalar(_get(doc, ROOT, "schemaVersion"))
    if not isinstance(version, (int, float)) or isinstance(version, bool):
        return "the document has no schemaVersion"
    if version > SCHEMA_VERSION:
        return f"the document uses schema {version}, newer than this quire-client ({SCHEMA_VERSION}); update quire-client"
    return None


# ---------------------------------------------------------------------------------------
# Write side


def comm_state_json(patch: Mapping[str, Any]) -> Dict[str, str]:
    """A patch of plain values → trait JSON text (``JSON.stringify(value ?? null)``)."""
    out: Dict[str, str] = {}
    for key, value in patch.items():
        if not isinstance(key, str):
            raise TypeError(f"widget trait names are strings, not {type(key).__name__} ({key!r})")
        try:
            out[key] = _jsjson.stringify(value)
        except (TypeError, ValueError) as err:
            raise type(err)(f"trait {key!r}: {err}") from None
    return out


def set_comm_state(doc: Document, comm_id: str, patch: Mapping[str, Any]) -> Optional[List[str]]:
    """Sets traits in one change; only keys whose JSON text differs are written.

    Returns the keys written, or None when the comm is not in the doc.
    """
    json_patch = comm_state_json(patch)
    comms = _obj(doc, ROOT, "comms")
    comm = _obj(doc, comms, comm_id) if comms is not None else None
    state = _obj(doc, comm, "state") if comm is not None else None
    if state is None:
        return None
    opened: Optional[Dict[str, str]] = None
    written = []
    for key, text in json_patch.items():
        current = _get(doc, state, key)
        if current is not None:
            known: Optional[str] = _text(doc, current)
        else:
            if opened is None:
                opened = _opened(doc, comm)["state"]
            known = opened.get(key)
        if known == text:
            continue
        written.append(key)
    if written:
        with doc.transaction() as tx:
            for key in written:
                tx.put(state, key, ScalarType.Str, json_patch[key])
    return written
