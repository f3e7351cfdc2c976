// `--trace-hops`: takes scenario 1's latency apart, hop by hop, from the marks the daemon, the
// host and the page write (src-shared/hop-trace.ts). One update is followed from the kernel's
// `s.value = x` to the slider's aria-valuenow:
//  - the daemon's comm-update mark carries the value, so it is found by value (the first within
//    a second after the kernel set it: each scenario's kernel counts its values from 1001 again);
//  - the iopub frame that carried it is the last frame mark before it;
//  - every later hop is the first mark of that hop at or after the previous hop's time (one
//    update in flight at a time: the loop sets a value every 100 ms, each takes < 20 ms);
//  - the DOM time is the page's MutationObserver time for that value.
// Only for runs with one host (scenario 1, and scenario 2's two windows on one host): with two
// hosts, "the first mark after" could be the other host's.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { median, percentile, sleep } from './util.mjs';

const PATH = [
  'daemon:comm-update',
  'daemon:commit-start',
  'daemon:committed',
  'daemon:sync-ready',
  'replica:sync-received',
  'replica:sync-applied',
  'host:event-ready',
  'window:comms-event',
];

function addMarks(marks, text) {
  for (const line of text.split('\n')) {
    const [hop, key, t] = line.split(' ');
    if (t === undefined) continue;
    (marks[hop] ??= []).push({ key: key === '-' ? null : Number(key), t: Number(t) });
  }
}

/** The lines of every *.trace file in `dir` (the daemon's and the hosts'). */
function readProcessTraces(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.trace'))
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('');
}

/** Marks by hop, each list in time order, from trace lines. */
export function parseMarks(...texts) {
  const marks = {};
  for (const text of texts) addMarks(marks, text);
  for (const list of Object.values(marks)) list.sort((a, b) => a.t - b.t);
  return marks;
}

function firstAtOrAfter(list, t) {
  return list?.find((m) => m.t >= t)?.t;
}

/**
 * `updates`: [{ value, kernel, page }] (kernel and page wall-clock ms). Returns the hops'
 * p50 / p95 / max in ms, and how many updates could be followed all the way.
 */
export function hopBreakdown(marks, updates) {
  const names = ['kernel sets value', 'daemon:iopub-frame', ...PATH, 'DOM shows value'];
  const gaps = names.slice(1).map(() => []);
  let followed = 0;
  for (const u of updates) {
    const arrival = marks['daemon:comm-update']?.find((m) => m.key === u.value && m.t >= u.kernel && m.t < u.kernel + 1000)?.t;
    if (arrival === undefined || u.page === undefined) continue;
    const frame = marks['daemon:iopub-frame']?.filter((m) => m.t <= arrival).at(-1)?.t;
    const times = [u.kernel, frame, arrival];
    for (const hop of PATH.slice(1)) times.push(firstAtOrAfter(marks[hop], times.at(-1) ?? Infinity));
    times.push(u.page);
    if (times.some((t) => t === undefined)) continue;
    followed++;
    for (let i = 1; i < times.length; i++) gaps[i - 1].push(times[i] - times[i - 1]);
  }
  const rows = gaps.map((g, i) => ({ hop: `${names[i]} → ${names[i + 1]}`, p50: median(g), p95: percentile(g, 95), max: percentile(g, 100) }));
  return { followed, of: updates.length, rows };
}

/**
 * After a traced slider loop (lib/slider-loop.mjs): the breakdown for each of `pages`
 * ({label: page}), from its own page marks and the processes' marks in `dir`.
 */
export async function tracedHops(dir, pages, updates) {
  await sleep(1000); // the processes write their marks every 500 ms, the pages every 100 ms
  const processText = readProcessTraces(dir);
  const out = {};
  for (const [label, page] of Object.entries(pages)) {
    const pageText = await page.evaluate(() => (window.__quireHopTrace ?? []).join(''));
    out[label] = hopBreakdown(parseMarks(processText, pageText), updates[label]);
  }
  return out;
}

export function printHops(title, { followed, of, rows }) {
  const f = (v) => (v === null ? '—' : v.toFixed(2));
  const width = Math.max(...rows.map((r) => r.hop.length));
  console.log(`\n${title} — ${followed} of ${of} updates followed (ms)`);
  console.log(`${'hop'.padEnd(width)} |   p50 |   p95 |   max`);
  for (const r of rows) console.log(`${r.hop.padEnd(width)} | ${f(r.p50).padStart(5)} | ${f(r.p95).padStart(5)} | ${f(r.max).padStart(5)}`);
}
