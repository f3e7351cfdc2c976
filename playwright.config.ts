import { defineConfig } from '@playwright/test';

// Two hosts, one suite (DESIGN.md "Two hosts, one shell"):
//  - browser-host: the shell served by the browser host, driven in Debian's Chromium
//    (Playwright cannot download its own browsers here). Override with QUIRE_CHROMIUM.
//  - electron: the real app through `_electron.launch` (see e2e/fixtures/electron.ts); its tests
//    skip, with the reason, when the Electron binary is not installed.
// Electron-only specs are named `electron-*.spec.ts`; every other spec runs on the browser host.
const chromium = process.env.QUIRE_CHROMIUM || '/usr/bin/chromium';

const chromiumLaunch = {
  executablePath: chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
};

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: process.env.CI ? 1 : 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'browser-host',
      testIgnore: /electron-.*\.spec\.ts$/,
      use: { browserName: 'chromium', headless: true, launchOptions: chromiumLaunch },
    },
    {
      // The same widget specs through the real app, plus Electron-only checks. The
      // browser is still configured: the "second host process" spec opens a browser host.
      name: 'electron',
      testMatch: [/electron-.*\.spec\.ts$/, /widgets\.spec\.ts$/],
      use: { browserName: 'chromium', headless: true, launchOptions: chromiumLaunch },
    },
  ],
});
