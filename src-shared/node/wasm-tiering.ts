import { setFlagsFromString } from 'node:v8';

/**
 * The V8 flag that makes WebAssembly reach V8's optimizing compiler after little use.
 *
 * Why: Automerge runs as WebAssembly, and every widget update pays two Automerge steps (the
 * daemon's change, a host replica applying it). Under V8's default tiering budget the code of
 * those steps, used a few times a second, stays long on the baseline compiler (Liftoff) and keeps
 * being tiered up one function at a time: the steps' tail is 2–4× their median. Measured on this
 * project's 2-core machines (300 updates 60 ms apart after 100 warm-up ones, p50 / p95 ms):
 * `A.change` of one trait 0.97 / 2.26 → 0.83 / 1.04; a replica applying its sync message
 * 0.66 / 2.08 → 0.54 / 0.87. `--no-liftoff` reaches the same steady state but compiles every
 * function optimized on its first call: opening a 5 MB notebook took 4.5–4.9 s instead of
 * 3.3–3.5 s (bench scenario 7), which a small budget does not cost (bench/README.md).
 */
export const WASM_TIERING_FLAG = '--wasm-tiering-budget=1000';

/**
 * Sets WASM_TIERING_FLAG in this process. Call it before Automerge is first imported (its
 * module is compiled at import). `QUIRE_WASM_TIERING=default` keeps V8's default, for A/B runs.
 */
export function tierUpWasmEarly(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.QUIRE_WASM_TIERING === 'default') return false;
  setFlagsFromString(WASM_TIERING_FLAG);
  return true;
}
