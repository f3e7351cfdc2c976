// The kernel-side half of the widget-latency scenarios (1 and 2), identical for both apps.
//
// Cell 0 displays one IntSlider. Cell 1 sets `s.value` N times, GAP seconds apart, and records
// `time.time()` just before each set; when done it writes {times, python} to a JSON file
// (the harness reads it from disk: nothing in either app's UI is involved). In every page a
// MutationObserver records when that value reached the slider's aria-valuenow. Latency of one
// update in one window = page time − kernel time (one machine, one wall clock).
import { waitForJsonFile, removeFile, sleep } from './util.mjs';
import { collectValues, countSliders, installValueObserver } from './browser.mjs';
import { py } from './notebook.mjs';
import { tracedHops } from './hops.mjs';

export function sliderLoopCells({ resultFile, n, gapSeconds }) {
  return [
    [
      'import ipywidgets as w, time, json, os, sys',
      "s = w.IntSlider(value=0, min=0, max=1_000_000, description='bench')",
      's',
    ].join('\n'),
    [
      `N, GAP, RESULT = ${n}, ${gapSeconds}, ${py(resultFile)}`,
      "_round = globals().get('_round', 0) + 1",
      '_times = []',
      'for _i in range(1, N + 1):',
      '    _v = _round * 1000 + _i  # unique per round, so each page sees every value once',
      '    _times.append((_v, time.time() * 1000))',
      '    s.value = _v',
      '    time.sleep(GAP)',
      "with open(RESULT + '.tmp', 'w') as f:",
      "    json.dump({'round': _round, 'times': _times, 'python': sys.executable}, f)",
      "os.replace(RESULT + '.tmp', RESULT)",
    ].join('\n'),
  ];
}

/** Waits until every page shows exactly one slider. */
export async function waitForSlider(pages, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (const [label, page] of Object.entries(pages)) {
    while ((await countSliders(page)) < 1) {
      if (Date.now() > deadline) throw new Error(`${label}: the slider never appeared`);
      await sleep(50);
    }
  }
}

/**
 * Runs the loop cell `rounds + 1` times from `driver` (the first round is a discarded warm-up)
 * and returns { samples: {label: [latency ms…]}, missing: {label: count}, python }, and with
 * `hopTraceDir` (a run with one Quire host under --trace-hops) also hops: {label: breakdown}
 * (lib/hops.mjs).
 */
export async function runSliderLoop({ app, driver, pages, resultFile, rounds, n, hopTraceDir }) {
  for (const page of Object.values(pages)) await installValueObserver(page);
  const samples = Object.fromEntries(Object.keys(pages).map((k) => [k, []]));
  const missing = Object.fromEntries(Object.keys(pages).map((k) => [k, 0]));
  const updates = Object.fromEntries(Object.keys(pages).map((k) => [k, []]));
  let python = null;
  for (let round = 0; round <= rounds; round++) {
    removeFile(resultFile);
    await app.runCell(driver, 1);
    const result = await waitForJsonFile(resultFile, 120_000);
    python = result.python;
    const [lastValue] = result.times.at(-1);
    // Give every window up to 5 s to show the last value, then read what each one saw.
    for (const page of Object.values(pages)) {
      await page
        .waitForFunction((v) => window.__benchValues.has(v), lastValue, { timeout: 5_000, polling: 50 })
        .catch(() => undefined);
    }
    await app.waitIdle(driver);
    if (round === 0) continue; // warm-up
    for (const [label, page] of Object.entries(pages)) {
      const seen = new Map(await collectValues(page));
      for (const [value, kernelTime] of result.times) {
        const t = seen.get(value);
        if (t === undefined) missing[label]++;
        else {
          samples[label].push(t - kernelTime);
          updates[label].push({ value, kernel: kernelTime, page: t });
        }
      }
    }
  }
  if (!hopTraceDir) return { samples, missing, python };
  return { samples, missing, python, hops: await tracedHops(hopTraceDir, pages, updates) };
}
