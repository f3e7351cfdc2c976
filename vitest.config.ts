import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src-*/**/*.test.ts'],
    // Integration tests start real kernels and daemons; two cores, so keep files serial-ish.
    pool: 'forks',
    maxWorkers: 2,
    // A failing integration test prints its daemon's and kernels' logs (they die with its home).
    setupFiles: ['src-client/testing/report-daemon-logs.setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
