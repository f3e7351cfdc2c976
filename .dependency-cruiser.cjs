// Import-direction rules from DESIGN.md ("Imports flow one way"). `npm run lint` fails on any
// error below. Paths are relative to the repo root.
//
//   src-shared   ← nothing else from src-*, no Node built-ins, no electron (pure TS);
//                  except src-shared/node: Node-only helpers for the Node processes (daemon,
//                  client, main), which the renderer and preload may not import
//   src-daemon   ← src-shared only
//   src-client   ← src-shared only
//   src-main     ← src-shared, src-client; electron only in src-main/electron/
//   src-preload  ← src-shared (+ electron); no Node built-ins (sandboxed preload)
//   src-renderer ← src-shared only; no Node built-ins, no electron
//   e2e          ← anything; nothing in src-* imports e2e
//   no cycles anywhere

const SRC = ['src-shared', 'src-daemon', 'src-client', 'src-main', 'src-preload', 'src-renderer', 'e2e'];
/** Regex matching any top-level source folder except the given ones. */
const otherThan = (...allowed) => `^(${SRC.filter((d) => !allowed.includes(d)).join('|')})/`;
const ELECTRON = '^node_modules/electron/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Circular imports make load order fragile; split the shared part out.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve (typo, missing package, missing file).',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'src-not-to-e2e',
      severity: 'error',
      comment: 'Product code must not depend on the Playwright suite.',
      from: { path: '^src-' },
      to: { path: '^e2e/' },
    },

    // src-shared: pure TS shared by Node and browser code.
    {
      name: 'shared-only-shared',
      severity: 'error',
      comment: 'src-shared imports nothing from the other src-* folders.',
      from: { path: '^src-shared/' },
      to: { path: otherThan('src-shared') },
    },
    {
      name: 'shared-no-node-builtins',
      severity: 'error',
      comment: 'src-shared runs in the renderer too: no Node built-ins (its tests run in Node and may).',
      from: { path: '^src-shared/', pathNot: ['\\.test\\.tsx?$', '^src-shared/node/'] },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'shared-pure-not-to-shared-node',
      severity: 'error',
      comment: 'The pure part of src-shared runs in the renderer: it may not pull in src-shared/node.',
      from: { path: '^src-shared/', pathNot: '^src-shared/node/' },
      to: { path: '^src-shared/node/' },
    },
    {
      name: 'web-not-to-shared-node',
      severity: 'error',
      comment: 'src-shared/node uses Node built-ins: neither the renderer nor the sandboxed preload can load it.',
      from: { path: '^src-(renderer|preload)/' },
      to: { path: '^src-shared/node/' },
    },
    {
      name: 'shared-no-electron',
      severity: 'error',
      comment: 'src-shared is host-neutral: no electron.',
      from: { path: '^src-shared/' },
      to: { path: ELECTRON },
    },

    // src-daemon and src-client: Node programs on top of src-shared.
    {
      name: 'daemon-only-shared',
      severity: 'error',
      comment: 'src-daemon may import src-shared only.',
      from: { path: '^src-daemon/' },
      to: { path: otherThan('src-daemon', 'src-shared') },
    },
    {
      name: 'daemon-no-electron',
      severity: 'error',
      comment: 'The daemon is plain Node and outlives windows: no electron.',
      from: { path: '^src-daemon/' },
      to: { path: ELECTRON },
    },
    {
      name: 'client-only-shared',
      severity: 'error',
      comment: 'src-client (Node SDK + CLI) may import src-shared only.',
      from: { path: '^src-client/' },
      to: { path: otherThan('src-client', 'src-shared') },
    },
    {
      name: 'client-no-electron',
      severity: 'error',
      comment: 'src-client is headless: no electron.',
      from: { path: '^src-client/' },
      to: { path: ELECTRON },
    },

    // src-main: Electron-free core + two thin adapters.
    {
      name: 'main-only-shared-and-client',
      severity: 'error',
      comment: 'src-main may import src-shared and src-client; never renderer, preload or daemon code.',
      from: { path: '^src-main/' },
      to: { path: otherThan('src-main', 'src-shared', 'src-client') },
    },
    {
      name: 'main-electron-only-in-adapter',
      severity: 'error',
      comment: 'Only src-main/electron/ may import electron; core/ and browser-host/ stay Electron-free.',
      from: { path: '^src-main/', pathNot: '^src-main/electron/' },
      to: { path: ELECTRON },
    },
    {
      name: 'main-core-not-to-adapters',
      severity: 'error',
      comment: 'src-main/core is shared by both hosts and must not import either adapter.',
      from: { path: '^src-main/core/' },
      to: { path: '^src-main/(electron|browser-host)/' },
    },
    {
      name: 'main-adapters-independent',
      severity: 'error',
      comment: 'The Electron adapter and the browser host do not import each other.',
      from: { path: '^src-main/(electron|browser-host)/' },
      to: { path: '^src-main/(electron|browser-host)/', pathNot: '^src-main/$1/' },
    },

    // src-preload: sandboxed bridge of the IPC contract.
    {
      name: 'preload-only-shared',
      severity: 'error',
      comment: 'src-preload may import src-shared (and electron) only.',
      from: { path: '^src-preload/' },
      to: { path: otherThan('src-preload', 'src-shared') },
    },
    {
      name: 'preload-no-node-builtins',
      severity: 'error',
      comment: 'A sandboxed preload cannot load Node built-ins.',
      from: { path: '^src-preload/' },
      to: { dependencyTypes: ['core'] },
    },

    // src-renderer: web code.
    {
      name: 'renderer-only-shared',
      severity: 'error',
      comment: 'src-renderer may import src-shared only (talk to main through window.quire).',
      from: { path: '^src-renderer/' },
      to: { path: otherThan('src-renderer', 'src-shared') },
    },
    {
      name: 'renderer-no-node-builtins',
      severity: 'error',
      comment: 'The renderer is a sandboxed web page: no Node built-ins.',
      from: { path: '^src-renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'renderer-no-electron',
      severity: 'error',
      comment: 'The renderer must not tell the hosts apart: no electron.',
      from: { path: '^src-renderer/' },
      to: { path: ELECTRON },
    },
  ],
  options: {
    // `depcruise .` cruises the whole repo (so a src-* folder that does not exist yet is no
    // error) minus installs, build output and scratch folders.
    exclude: {
      path: '(^|/)\\.venv/|^(out|\\.git|\\.tmp|\\.quire-home|test-results|playwright-report|python)/',
    },
    doNotFollow: { path: ['node_modules'] },
    // Type-only imports count: a type import still couples the layers.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.node.json' },
    enhancedResolveOptions: {
      // Extensionless and TS-style imports: './x' → x.ts / x.tsx / x/index.ts, node: built-ins.
      extensions: ['.ts', '.tsx', '.d.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
