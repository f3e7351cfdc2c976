/**
 * JSON with Python's semantics: parse keeps numbers byte-exact (PyNumber), dumps writes
 * what Python's `json.dumps(..., ensure_ascii=False)` writes.
 */

export { type Json, type JsonObject, PyNumber, isJsonObject, pyFloatRepr, toPlain } from './pynumber';
export { JsonSyntaxError, parseJson } from './parse';
export { type DumpsOptions, compareCodePoints, dumps } from './dumps';
