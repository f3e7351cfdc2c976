"""JSON exactly as JavaScript writes and reads it.

The daemon and the TypeScript clients store each widget trait as ``JSON.stringify(value)``
and write a trait only when that text changes. To write the same bytes for the same value
(and so never make a change a TypeScript client would not make), this module reproduces
``JSON.stringify``: JavaScript number spelling (``1.0`` → ``1``, ``1e16`` →
``10000000000000000``, ``1e-7``), its string escapes, and its key order (integer-like keys
first). ``parse`` is ``JSON.parse``: ``NaN``/``Infinity`` are not JSON, a leading BOM is
not accepted.

Deliberate differences, both for Python users' sake:
- integers keep every digit (JavaScript rounds beyond 2**53);
- NaN and ±Infinity raise ``ValueError`` when written (``JSON.stringify`` writes ``null``).
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping

__all__ = ["stringify", "parse", "js_number"]

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
# What JSON.stringify escapes: quote, backslash, C0 controls, lone surrogates (well-formed
# JSON.stringify, ES2019). Python str holds no surrogate pairs, so any surrogate is lone.
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')
_REPR = re.compile(r"(\d+)(?:\.(\d+))?(?:e([+-]\d+))?")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    return _ESCAPES.get(ch) or "\\u%04x" % ord(ch)


def _quote(s: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape, s) + '"'


def js_number(x: float) -> str:
    """``Number.prototype.toString()`` of a finite double (ECMA-262 Number::toString)."""
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"{x!r} is not JSON: NaN and Infinity have no JSON spelling")
    if x == 0:
        return "0"  # also -0
    sign = "-" if x < 0 else ""
    # repr() gives the shortest digits that round-trip, the same digits JavaScript picks.
    m = _REPR.fullmatch(repr(abs(x)))
    if m is None:  # pragma: no cover - repr of a finite float always matches
        raise ValueError(f"cannot format {x!r}")
    whole, frac, exp = m.group(1), m.group(2) or "", int(m.group(3) or 0)
    digits = whole + frac
    n = len(whole) + exp  # value = 0.digits × 10**n
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    exponent = ("+" if e >= 0 else "-") + str(abs(e))
    if k == 1:
        return sign + digits + "e" + exponent
    return sign + digits[0] + "." + digits[1:] + "e" + exponent


def _key(k: object) -> str:
    if isinstance(k, str):
        return k
    if k is None:
        return "null"
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, int):
        return str(k)
    if isinstance(k, float):
        return js_number(k)
    raise TypeError(f"object keys must be str, int, float, bool or None, not {type(k).__name__}")


def _is_array_index(key: str) -> bool:
    return _ARRAY_INDEX.fullmatch(key) is not None and int(key) < 2**32 - 1


def _ordered(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """JavaScript's own-property order: array-index keys ascending, then insertion order."""
    merged: dict[str, Any] = {}
    for k, v in items:
        merged[k] = v
    indices = sorted((k for k in merged if _is_array_index(k)), key=int)
    if not indices:
        return list(merged.items())
    rest = [k for k in merged if not _is_array_index(k)]
    return [(k, merged[k]) for k in indices + rest]


def _write(value: Any, out: list[str], depth: int) -> None:
    if depth > 1000:
        raise ValueError("value nests too deeply to be written as JSON")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(js_number(value))
    elif isinstance(value, Mapping):
        out.append("{")
        first = True
        for k, v in _ordered([(_key(k), v) for k, v in value.items()]):
            if not first:
                out.append(",")
            first = False
            out.append(_quote(k))
            out.append(":")
            _write(v, out, depth + 1)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _write(v, out, depth + 1)
        out.append("]")
    else:
        hint = ""
        if isinstance(value, (bytes, bytearray, memoryview)):
            hint = " (binary widget buffers cannot be set from this client yet)"
        elif hasattr(value, "tolist"):
            hint = " (convert it with .tolist() first)"
        raise TypeError(f"{type(value).__name__} is not JSON-serializable{hint}")


def stringify(value: Any) -> str:
    """``JSON.stringify(value)`` for JSON-like Python values (see the module notes)."""
    out: list[str] = []
    _write(value, out, 0)
    return "".join(out)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse(text: str) -> Any:
    """``JSON.parse(text)``; raises ``ValueError`` where JavaScript throws."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError as err:
        raise ValueError("JSON nests too deeply") from err
