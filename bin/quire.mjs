#!/usr/bin/env node
// The `quire` command. Sources are TypeScript, run through tsx's loader so the CLI,
// the daemon and the tests all execute the same files with no build step.
import { register } from 'tsx/esm/api';

register();
const [command] = process.argv.slice(2);
if (command === 'daemon' || command === 'serve') {
  // The long-lived processes that hold Automerge replicas; before anything imports Automerge.
  const { tierUpWasmEarly } = await import('../src-shared/node/wasm-tiering.ts');
  tierUpWasmEarly();
}
let code;
if (command === 'daemon') {
  const { main } = await import('../src-daemon/main.ts');
  code = await main(process.argv.slice(3));
} else if (command === 'serve') {
  // The browser host lives in src-main (the CLI in src-client may not import it).
  const { main } = await import('../src-main/browser-host/main.ts');
  code = await main(process.argv.slice(3));
} else {
  const { main } = await import('../src-client/cli/main.ts');
  code = await main(process.argv.slice(2));
}
process.exitCode = code;
