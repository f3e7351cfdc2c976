"""Units without a daemon: JSON spelling, paths, frame edge cases."""
from __future__ import annotations

import math

import pytest

from quire import _jsjson, protocol as P
from quire.errors import FrameError
from quire.paths import quire_paths


def test_integers_keep_every_digit() -> None:
    assert _jsjson.stringify(2**64 + 1) == "18446744073709551617"
    assert _jsjson.parse("18446744073709551617") == 2**64 + 1


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, [1, {"a": math.nan}]])
def test_nan_and_infinity_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="NaN and Infinity"):
        _jsjson.stringify(value)


def test_unsupported_values_say_what_to_do() -> None:
    with pytest.raises(TypeError, match="binary widget buffers"):
        _jsjson.stringify(b"x")
    with pytest.raises(TypeError, match="set is not JSON-serializable"):
        _jsjson.stringify({1, 2})

    class Array:
        def tolist(self) -> list:  # type: ignore[type-arg]
            return [1]

    with pytest.raises(TypeError, match=r"\.tolist\(\)"):
        _jsjson.stringify(Array())


def test_python_shapes() -> None:
    assert _jsjson.stringify((1, 2.0, True, None)) == "[1,2,true,null]"
    assert _jsjson.stringify({"x": 0, 1: "a", 2.5: "b", False: "c", None: "d"}) == '{"1":"a","x":0,"2.5":"b","false":"c","null":"d"}'
    assert _jsjson.stringify(-0.0) == "0"
    assert _jsjson.stringify(1e-7) == "1e-7"
    assert _jsjson.stringify(-1.5e-10) == "-1.5e-10"


def test_paths_follow_runtime_paths_ts() -> None:
    p = quire_paths({"QUIRE_HOME": "/tmp/q//h"}, "/home/u")
    assert (p.home, p.socket, p.token, p.log) == ("/tmp/q//h", "/tmp/q/h/run/daemon.sock", "/tmp/q/h/run/token", "/tmp/q/h/daemon.log")
    p = quire_paths({"XDG_RUNTIME_DIR": "/run/user/1"}, "/home/u")
    assert (p.home, p.socket) == ("/home/u/.local/state/quire", "/run/user/1/quire/daemon.sock")
    p = quire_paths({"XDG_STATE_HOME": "/s", "XDG_RUNTIME_DIR": ""}, "/home/u")
    assert (p.home, p.socket) == ("/s/quire", "/s/quire/run/daemon.sock")


def test_a_frame_split_anywhere_and_a_custom_cap() -> None:
    frame = P.encode_json_frame(P.FrameKind.REQUEST, {"id": 1, "method": "status", "params": {}})
    for cut in range(len(frame) + 1):
        d = P.FrameDecoder()
        got = d.push(frame[:cut]) + d.push(frame[cut:])
        assert len(got) == 1 and P.decode_json_payload(got[0])["method"] == "status"
    with pytest.raises(FrameError) as info:
        P.FrameDecoder(max_frame_bytes=8).push(frame)
    assert info.value.code == "frame-too-large"
    with pytest.raises(FrameError):
        P.encode_sync_frame("", b"")
