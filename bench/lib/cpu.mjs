// CPU time of the processes behind each app, to say where a scenario's time goes:
// /proc/<pid>/stat (Linux) for the servers and kernels, CDP Performance metrics for a page's
// main thread. Returns null where unavailable.
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 10; // CLK_TCK is 100 on Linux

/** utime + stime of one process, in ms. */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** Direct children of pid whose command line contains `needle`. */
export function childPids(pid, needle) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      if (needle && !readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) continue;
      out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The page's main-thread busy time (CDP Performance.TaskDuration), in ms. */
export async function pageTaskMs(page) {
  const cdp = (page.__benchCdp ??= await page.context().newCDPSession(page));
  if (!page.__benchPerfOn) {
    await cdp.send('Performance.enable');
    page.__benchPerfOn = true;
  }
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  return { task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000, layout: m.LayoutDuration * 1000, style: m.RecalcStyleDuration * 1000 };
}

/** Snapshot of { label: cpuMs } for a map { label: [pids] }. */
export function cpuSnapshot(pids) {
  const snap = {};
  for (const [label, list] of Object.entries(pids)) {
    snap[label] = list.reduce((sum, pid) => sum + (processCpuMs(pid) ?? 0), 0);
  }
  return snap;
}

export function cpuDelta(before, after) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
}
