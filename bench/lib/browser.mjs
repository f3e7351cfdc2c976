// Debian's Chromium through Playwright (Playwright cannot download its own browsers here),
// launched like the e2e suite does, plus the probes the scenarios install in a page.
import { chromium } from '@playwright/test';

const CHROMIUM = process.env.QUIRE_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** A fresh window (own context, so no shared storage between windows), same size for both apps. */
export async function newWindow(browser) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  return context.newPage();
}

export async function closeWindow(page) {
  await page.context().close().catch(() => undefined);
}

/**
 * Records, in the page, the wall-clock time (performance.timeOrigin + performance.now(), the
 * same clock as Python's time.time()) at which each slider's aria-valuenow first shows each
 * value. A MutationObserver callback runs right after the DOM mutation, before paint.
 */
export async function installValueObserver(page) {
  await page.evaluate(() => {
    const seen = new Map();
    const observer = new MutationObserver((records) => {
      const t = performance.timeOrigin + performance.now();
      for (const r of records) {
        const v = Number(r.target.getAttribute('aria-valuenow'));
        if (!seen.has(v)) seen.set(v, t);
      }
    });
    observer.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    window.__benchValues = seen;
  });
}

/** [[value, pageTimeMs], …] seen since installValueObserver. */
export function collectValues(page) {
  return page.evaluate(() => [...window.__benchValues.entries()]);
}

/** Number of [role=slider] elements inside `scope` (a CSS selector). */
export function countSliders(page, scope = 'body') {
  return page.evaluate((s) => document.querySelectorAll(`${s} [role=slider]`).length, scope);
}

/**
 * Arms a per-frame check (requestAnimationFrame) that records the wall-clock time at which
 * `scope [role=slider]` first reaches `count`. Read it with waitForArmedCount.
 */
export async function armSliderCount(page, scope, count) {
  await page.evaluate(
    ([s, n]) => {
      window.__benchCount = null;
      const check = () => {
        if (document.querySelectorAll(`${s} [role=slider]`).length >= n) {
          window.__benchCount = performance.timeOrigin + performance.now();
        } else {
          requestAnimationFrame(check);
        }
      };
      requestAnimationFrame(check);
    },
    [scope, count],
  );
}

/** Resolves with the armed time; on timeout throws, saying how many sliders were there. */
export async function waitForArmedCount(page, scope, timeoutMs = 60_000) {
  try {
    await page.waitForFunction(() => window.__benchCount !== null, null, { timeout: timeoutMs, polling: 100 });
  } catch (e) {
    const found = await countSliders(page, scope).catch(() => '?');
    const all = await countSliders(page).catch(() => '?');
    throw new Error(`only ${found} sliders in ${scope} (${all} on the page) after ${timeoutMs} ms`);
  }
  return page.evaluate(() => window.__benchCount);
}
