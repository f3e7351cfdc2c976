/**
 * vitest setup file: when a test fails, print what the daemons it was talking to logged.
 * Only the harness knows them; files without a daemon print nothing. vitest runs onTestFailed
 * after afterEach, so a daemon a file stops in afterEach is gone by then: stop them in afterAll.
 */
import { beforeEach } from 'vitest';
import { describeLiveDaemons } from './daemon-harness';

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    const logs = describeLiveDaemons();
    if (logs) console.error(`Logs of the daemons this test used:\n${logs}`);
  });
});
