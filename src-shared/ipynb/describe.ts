/** Helpers for error messages that point at a place in a JSON document. */

import { type Json, PyNumber } from './pynumber';

/** `parent.key`, or `parent["odd key"]` when the key is not a plain identifier. */
export function childPath(parent: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** A short description of a JSON value for error messages. */
export function describe(json: Json | undefined): string {
  if (json === undefined) return 'nothing';
  if (typeof json === 'string') return JSON.stringify(json.length > 40 ? `${json.slice(0, 40)}…` : json);
  if (Array.isArray(json)) return json.length === 0 ? 'an empty list' : 'a list';
  if (json instanceof PyNumber) return json.lexeme;
  if (json !== null && typeof json === 'object') return 'an object';
  return String(json);
}
