// Summaries of V8 .cpuprofile files (node --cpu-prof): where a process spent its CPU.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './util.mjs';

const frameKey = (f) =>
  `${f.functionName || '(anonymous)'} (${f.url ? path.relative(REPO_ROOT, f.url.replace('file://', '')) : ''}:${f.lineNumber + 1})`;

/**
 * { totalMs, busyMs, selfTop: ["share% fn (file:line)"], quireInclusiveTop: [...] }:
 * self time of the hottest functions, and inclusive (self + callees) time of Quire's own
 * functions (src-*), each as a share of the busy (non-idle) time.
 */
export function summariseProfile(file, top = 12) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const node = byId.get(profile.samples[i]);
    const key = frameKey(node.callFrame);
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id).callFrame;
      if (!/\/src-[a-z]+\//.test(f.url)) continue;
      const k = frameKey(f);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  const topOf = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${((v / busy) * 100).toFixed(1)}% ${k}`);
  return { totalMs: Math.round(total), busyMs: Math.round(busy), selfTop: topOf(self), quireInclusiveTop: topOf(inclusive) };
}
