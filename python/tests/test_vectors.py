"""The shared vectors of src-shared/protocol/vectors: the Python side.

src-shared/protocol/vectors/vectors.test.ts checks the TypeScript codecs against the same
files, so a frame, a handshake or a widget record means the same bytes in both languages.
"""
from __future__ import annotations

import base64
import json
import random
from typing import Any, Dict

import pytest
from automerge.core import Document

from conftest import VECTORS
from quire import _jsjson, protocol as P, schema
from quire.errors import FrameError, ProtocolError

if not VECTORS.is_dir():  # pragma: no cover - an installed package outside the checkout
    pytest.skip(f"shared vectors not found at {VECTORS}", allow_module_level=True)


def load(name: str) -> Any:
    with open(VECTORS / name, encoding="utf-8") as f:
        return json.load(f)


FRAMES = load("frames.json")
HANDSHAKE = load("handshake.json")
JSON_TEXT = load("json-text.json")
WIDGETS = load("widget-records.json")


# ---- frames ---------------------------------------------------------------------------


def test_kinds_and_caps() -> None:
    assert FRAMES["kinds"] == {k.name.title(): int(k) for k in P.FrameKind}
    assert FRAMES["maxFrameBytes"] == P.MAX_FRAME_BYTES
    assert FRAMES["maxJsonFrameBytes"] == P.MAX_JSON_FRAME_BYTES
    covered = {f["kind"] for f in FRAMES["jsonFrames"] + FRAMES["syncFrames"]}
    assert covered == {int(k) for k in P.FrameKind}


@pytest.mark.parametrize("case", FRAMES["jsonFrames"], ids=lambda c: c["name"])
def test_json_frame(case: Dict[str, Any]) -> None:
    assert P.encode_json_frame(case["kind"], case["json"]).hex() == case["frame"]
    frames = P.FrameDecoder().push(bytes.fromhex(case["frame"]))
    assert len(frames) == 1 and frames[0].kind == case["kind"]
    assert P.decode_json_payload(frames[0]) == case["json"]


@pytest.mark.parametrize("case", FRAMES["syncFrames"], ids=lambda c: c["name"])
def test_sync_frame(case: Dict[str, Any]) -> None:
    assert P.encode_sync_frame(case["roomId"], bytes.fromhex(case["message"])).hex() == case["frame"]
    (frame,) = P.FrameDecoder().push(bytes.fromhex(case["frame"]))
    assert frame.kind == P.FrameKind.SYNC
    assert P.decode_sync_payload(frame.payload) == (case["roomId"], bytes.fromhex(case["message"]))


def test_one_stream_in_any_chunking() -> None:
    cases = FRAMES["jsonFrames"] + FRAMES["syncFrames"]
    stream = bytes.fromhex("".join(c["frame"] for c in cases))
    rng = random.Random(9)
    for _ in range(20):
        decoder, got, i = P.FrameDecoder(), [], 0
        while i < len(stream):
            n = rng.randint(1, 64)
            got += decoder.push(stream[i : i + n])
            i += n
        assert [bytes([f.kind]) + f.payload for f in got] == [bytes.fromhex(c["frame"])[4:] for c in cases]
        assert decoder.pending_bytes == 0


@pytest.mark.parametrize("case", FRAMES["jsonPayloads"], ids=lambda c: c["name"])
def test_json_payload(case: Dict[str, Any]) -> None:
    assert P.decode_json_payload(P.Frame(P.FrameKind.REQUEST, bytes.fromhex(case["bytes"]))) == case["json"]


@pytest.mark.parametrize("case", FRAMES["errors"], ids=lambda c: c["name"])
def test_refused(case: Dict[str, Any]) -> None:
    data = bytes.fromhex(case["bytes"])
    with pytest.raises(FrameError) as info:
        if case["where"] == "decoder":
            P.FrameDecoder().push(data)
        elif case["where"] == "sync-payload":
            P.decode_sync_payload(data)
        else:
            P.decode_json_payload(P.Frame(P.FrameKind.REQUEST, data))
    assert info.value.code == case["code"]


# ---- handshake ------------------------------------------------------------------------


def test_protocol_version() -> None:
    assert HANDSHAKE["protocolVersion"] == P.PROTOCOL_VERSION
    assert HANDSHAKE["magic"] == P.PROTOCOL_MAGIC


def test_hello_bytes() -> None:
    h = HANDSHAKE["hello"]
    hello = P.make_hello(h["token"], h["clientName"], h["pid"])
    assert hello == h["json"]
    assert P.encode_json_frame(P.FrameKind.HELLO, hello).hex() == h["frame"]


def test_welcome() -> None:
    for value in HANDSHAKE["welcome"]["valid"]:
        assert P.parse_welcome(value) is value
    for value in HANDSHAKE["welcome"]["invalid"]:
        with pytest.raises(ProtocolError):
            P.parse_welcome(value)


def test_responses() -> None:
    for value in HANDSHAKE["responses"]["valid"]:
        assert P.parse_response(value) is value
    for value in HANDSHAKE["responses"]["invalid"]:
        with pytest.raises(ProtocolError):
            P.parse_response(value)


def test_broadcasts() -> None:
    for value in HANDSHAKE["broadcasts"]["known"]:
        assert P.parse_broadcast(value) is value, value
    for value in HANDSHAKE["broadcasts"]["ignored"]:
        assert P.parse_broadcast(value) is None, value


def test_protocol_errors() -> None:
    for value in HANDSHAKE["protocolErrors"]["valid"]:
        assert P.parse_protocol_error(value) == value
    for value in HANDSHAKE["protocolErrors"]["invalid"]:
        assert P.parse_protocol_error(value) is None


# ---- JSON text ------------------------------------------------------------------------


@pytest.mark.parametrize("case", JSON_TEXT["stringify"], ids=lambda c: c["input"][:40])
def test_stringify(case: Dict[str, str]) -> None:
    assert _jsjson.stringify(_jsjson.parse(case["input"])) == case["output"]


@pytest.mark.parametrize("text", JSON_TEXT["invalid"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        _jsjson.parse(text)


# ---- widget records -------------------------------------------------------------------


def widget_doc() -> Document:
    return Document.load(base64.b64decode(WIDGETS["doc"]))


def test_widget_records() -> None:
    doc = widget_doc()
    assert [h.hex() for h in doc.get_heads()] == WIDGETS["heads"]
    comms = schema.get_comms(doc)
    assert [c["id"] for c in comms] == [c["id"] for c in WIDGETS["comms"]]
    assert comms == WIDGETS["comms"]
    # Same values, same JSON: what JSON.stringify(getComms(doc)) prints, key order aside.
    assert [_jsjson.stringify(c["state"][k]) for c in comms for k in sorted(c["state"])] == [
        _jsjson.stringify(c["state"][k]) for c in WIDGETS["comms"] for k in sorted(c["state"])
    ]
    assert schema.get_cells(doc) == WIDGETS["cells"]
    assert schema.get_kernel(doc) == WIDGETS["kernel"]
    assert schema.check_schema_version(doc) is None
    for c in WIDGETS["comms"]:
        assert schema.get_comm(doc, c["id"]) == c


@pytest.mark.parametrize("case", WIDGETS["writes"], ids=lambda c: c["commId"])
def test_widget_writes(case: Dict[str, Any]) -> None:
    doc = widget_doc()
    assert schema.set_comm_state(doc, case["commId"], _jsjson.parse(case["patch"])) == case["written"]
    for key, text in case["texts"].items():
        assert schema.get_comm_state_text(doc, case["commId"], key) == text
    # Written as immutable strings, and the doc still reads.
    assert schema.get_comm(doc, case["commId"]) is not None


def test_a_python_change_loads_in_a_fresh_replica() -> None:
    doc = widget_doc()
    schema.set_comm_state(doc, "aa-slider", {"value": 123})
    again = Document.load(doc.save())
    assert schema.get_comm(again, "aa-slider")["state"]["value"] == 123  # type: ignore[index]
