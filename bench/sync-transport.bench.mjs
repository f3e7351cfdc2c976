#!/usr/bin/env node
/**
 * Daemon → client replica latency: our raw Automerge sync protocol (what Room and
 * NotebookSession do) against @automerge/automerge-repo, on the same doc and transports.
 *
 *   node bench/sync-transport.bench.mjs                      # raw stack only
 *   AMREPO_NODE_MODULES=/tmp/amrepo-bench/node_modules \
 *     node bench/sync-transport.bench.mjs [--runs 3] [--seq 500] [--burst 10000] \
 *       [--only raw/socket,repo-tuned/socket] [--json out.json]
 *
 * AMREPO_NODE_MODULES is a node_modules dir holding @automerge/automerge-repo (2.x),
 * -storage-nodefs, -network-messagechannel, -network-websocket and @automerge/automerge;
 * it is never a dependency of Quire (see src-daemon/transport/SYNC-DECISION.md).
 *
 * Every (config, run) is a fresh "daemon" process; its client is a second process over a
 * real unix socket (socket, websocket), or a worker thread over a MessageChannel. The doc
 * is shaped like ours: `comms` with 200 widgets × 30 traits stored as ImmutableString JSON.
 * Phases: open (client gets the whole doc), 50 warm-up + N sequential single-trait changes
 * (the daemon waits until the client saw each one; latency = client saw it − daemon made
 * the change, clocks aligned by a ping-pong), and a burst of M changes, one per event-loop
 * turn, timed until the client holds the last one (and all heads).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData, MessageChannel } from 'node:worker_threads';
import { register } from 'node:module';

const SELF = fileURLToPath(import.meta.url);
const now = () => performance.timeOrigin + performance.now();
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------------------

/** stack: raw | repo. transport: socket | websocket | messagechannel. */
const CONFIGS = [
  { name: 'raw/socket', stack: 'raw', transport: 'socket' },
  { name: 'raw/messagechannel', stack: 'raw', transport: 'messagechannel' },
  // automerge-repo as shipped: DocSynchronizer.syncDebounceRate = 100 (not an option).
  { name: 'repo-default/socket', stack: 'repo', transport: 'socket', syncDebounceRate: null },
  // Same, with DocSynchronizer's hard-coded 100 ms sync throttle patched to 0 at load time.
  { name: 'repo-tuned/socket', stack: 'repo', transport: 'socket', syncDebounceRate: 0 },
  // Beyond tuning: the throttle removed altogether (a patch, not a setting).
  { name: 'repo-unthrottled/socket', stack: 'repo', transport: 'socket', syncDebounceRate: 'off' },
  // Tuned + NodeFS storage on the daemon (saveDebounceRate 100 = the default).
  { name: 'repo-tuned+nodefs/socket', stack: 'repo', transport: 'socket', syncDebounceRate: 0, storage: 'nodefs', saveDebounceRate: 100 },
  // Tuned, with the library's own WebSocket adapters (over a unix socket, ws+unix:).
  { name: 'repo-tuned/websocket', stack: 'repo', transport: 'websocket', syncDebounceRate: 0 },
  // Tuned, with the library's own MessageChannel adapter (client in a worker thread).
  { name: 'repo-tuned/messagechannel', stack: 'repo', transport: 'messagechannel', syncDebounceRate: 0 },
];

const WIDGETS = 200;
const TRAITS = 30;
const WARMUP = 50;
const ROOM_ID = 'notebooks/bench.ipynb';

// ---------------------------------------------------------------------------------------
// Module loading: raw half uses Quire's own @automerge/automerge; the repo half loads
// everything (automerge included, so ImmutableString and the wasm are one instance) from
// AMREPO_NODE_MODULES.
// ---------------------------------------------------------------------------------------

function pickExport(entry) {
  if (typeof entry === 'string') return entry;
  if (!entry || typeof entry !== 'object') return null;
  for (const cond of ['node', 'import', 'default']) {
    if (cond in entry) {
      const got = pickExport(entry[cond]);
      if (got) return got;
    }
  }
  return null;
}

/** ESM entry of `pkg` (or `pkg/sub`) inside node_modules dir `nm`, resolved like Node's `import` condition. */
function resolveIn(nm, pkg, sub = '.') {
  const dir = join(nm, pkg);
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  let rel = null;
  if (meta.exports) {
    const exp = typeof meta.exports === 'string' || !Object.keys(meta.exports).some((k) => k.startsWith('.')) ? { '.': meta.exports } : meta.exports;
    rel = pickExport(exp[sub]);
  }
  if (!rel && sub === '.') rel = meta.module ?? meta.main ?? 'index.js';
  if (!rel) throw new Error(`cannot resolve ${pkg}/${sub} in ${nm}`);
  return { url: pathToFileURL(join(dir, rel)).href, version: meta.version };
}

/**
 * automerge-repo 2.x creates each DocSynchronizer's sync throttle in its constructor from a
 * class field hard-wired to 100 ms (`syncDebounceRate = 100`); no Repo option reaches it.
 * A load hook rewrites that one literal (rate = a number), or with rate = 'off' also drops
 * the asyncThrottle wrapper (whose setTimeout costs ≥1 ms even at 0), so a change syncs
 * on the next microtask: the floor of the library's design, not something it offers.
 * Verified after startup by reading the field back.
 */
function patchSyncDebounce(rate) {
  if (rate === null || rate === undefined) return;
  const hook = `
let rate;
export async function initialize(data) { rate = data.rate; }
export async function load(url, context, nextLoad) {
  const r = await nextLoad(url, context);
  if (url.endsWith('/automerge-repo/dist/synchronizer/DocSynchronizer.js')) {
    let src = String(r.source);
    if (rate === 'off') {
      src = src.replace('asyncThrottle(() => this.#syncWithPeers(), this.syncDebounceRate)', '() => void this.#syncWithPeers()');
      src = src.replace('syncDebounceRate = 100;', 'syncDebounceRate = "off";');
    } else src = src.replace('syncDebounceRate = 100;', 'syncDebounceRate = ' + rate + ';');
    return { ...r, source: src, shortCircuit: true };
  }
  return r;
}`;
  register('data:text/javascript,' + encodeURIComponent(hook), { data: { rate } });
}

async function loadRaw() {
  const A = await import('@automerge/automerge');
  let version = 'unknown';
  try {
    version = JSON.parse(readFileSync(join(dirname(SELF), '..', 'node_modules', '@automerge', 'automerge', 'package.json'), 'utf8')).version;
  } catch {}
  return { A, versions: { automerge: version } };
}

async function loadRepo(cfg) {
  const nm = process.env.AMREPO_NODE_MODULES;
  patchSyncDebounce(cfg.syncDebounceRate);
  const am = resolveIn(nm, '@automerge/automerge');
  const repo = resolveIn(nm, '@automerge/automerge-repo');
  const A = await import(am.url);
  const R = await import(repo.url);
  const out = { A, R, versions: { automerge: am.version, 'automerge-repo': repo.version } };
  if (cfg.storage === 'nodefs') {
    const fs = resolveIn(nm, '@automerge/automerge-repo-storage-nodefs');
    out.NodeFS = (await import(fs.url)).NodeFSStorageAdapter;
    out.versions['storage-nodefs'] = fs.version;
  }
  if (cfg.transport === 'messagechannel') {
    const mc = resolveIn(nm, '@automerge/automerge-repo-network-messagechannel');
    out.MC = (await import(mc.url)).MessageChannelNetworkAdapter;
    out.versions['network-messagechannel'] = mc.version;
  }
  if (cfg.transport === 'websocket') {
    const ws = resolveIn(nm, '@automerge/automerge-repo-network-websocket');
    out.WS = await import(ws.url);
    out.ws = await import(resolveIn(nm, 'ws').url);
    out.versions['network-websocket'] = ws.version;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The doc: shaped like src-shared/schema/notebook-doc.ts
// ---------------------------------------------------------------------------------------

const traitNames = [
  '_dom_classes', '_model_module', '_model_module_version', '_model_name', '_view_count',
  '_view_module', '_view_module_version', '_view_name', 'behavior', 'continuous_update',
  'description', 'description_allow_html', 'disabled', 'layout', 'max', 'min', 'orientation',
  'readout', 'readout_format', 'step', 'style', 'tabbable', 'tooltip', 'value', 'icon',
  'button_style', 'placeholder', 'indent', '_options_labels', 'index',
];
if (traitNames.length !== TRAITS) throw new Error('trait list out of step');

function traitJson(w, name) {
  switch (name) {
    case '_dom_classes': return JSON.stringify([]);
    case '_model_module': case '_view_module': return JSON.stringify('@jupyter-widgets/controls');
    case '_model_module_version': case '_view_module_version': return JSON.stringify('2.0.0');
    case '_model_name': return JSON.stringify('IntSliderModel');
    case '_view_name': return JSON.stringify('IntSliderView');
    case 'layout': return JSON.stringify(`IPY_MODEL_layout${String(w).padStart(28, '0')}`);
    case 'style': return JSON.stringify(`IPY_MODEL_style${String(w).padStart(29, '0')}`);
    case 'description': return JSON.stringify(`slider number ${w}`);
    case '_options_labels': return JSON.stringify(['alpha', 'beta', 'gamma', 'delta', 'epsilon']);
    case 'max': return '100';
    case 'min': case 'value': case 'index': case '_view_count': return '0';
    case 'step': return '1';
    case 'orientation': return JSON.stringify('horizontal');
    case 'readout_format': return JSON.stringify('d');
    case 'behavior': return JSON.stringify('drag-tap');
    case 'tooltip': case 'icon': case 'placeholder': return 'null';
    case 'button_style': return JSON.stringify('');
    default: return 'true';
  }
}

const commId = (w) => `c0ffee${String(w).padStart(26, '0')}`;

function buildDocBytes(A) {
  const imm = (s) => new A.ImmutableString(s);
  let doc = A.change(A.init(), (d) => {
    d.schemaVersion = 1;
    d.nbformat = 4;
    d.nbformatMinor = 5;
    d.metadata = imm(JSON.stringify({ kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }));
    d.extra = null;
    d.cells = [];
    d.comms = {};
    d.commSeq = 0;
    d.kernel = { status: imm('idle'), name: imm('python3'), displayName: imm('Python 3'), language: imm('python'), error: null };
  });
  for (let c = 0; c < 5; c++) {
    doc = A.change(doc, (d) => {
      d.cells.push({
        id: `cell-${c}`, cellType: 'code', source: `from ipywidgets import IntSlider\nws = [IntSlider() for _ in range(${WIDGETS})]\nws`,
        metadata: imm('{}'), executionCount: c + 1, outputs: [imm(JSON.stringify({ output_type: 'stream', name: 'stdout', text: 'x'.repeat(200) }))],
        attachments: null, run: 'idle', extra: null,
      });
    });
  }
  // One change per comm_open, as the daemon recorded them when this decision was made (schema 1:
  // one value per trait). Schema 2 writes a comm as one value (notebook-doc.ts), so today's docs
  // are smaller than this one; the transport comparison does not depend on it.
  for (let w = 0; w < WIDGETS; w++) {
    doc = A.change(doc, (d) => {
      d.commSeq += 1;
      const state = {};
      for (const t of traitNames) state[t] = imm(traitJson(w, t));
      d.comms[commId(w)] = {
        targetName: imm('jupyter.widget'), modelModule: imm('@jupyter-widgets/controls'), modelModuleVersion: imm('2.0.0'),
        modelName: imm('IntSliderModel'), seq: d.commSeq, origin: 'kernel', state,
      };
    });
  }
  return A.save(doc);
}

/** The change under test: `w.value = x` for widget i % 200. */
const widgetOf = (i) => commId(i % WIDGETS);
const valueOf = (phase, i) => JSON.stringify(`${phase}:${i}`);
const readValue = (doc, w) => {
  const v = doc?.comms?.[w]?.state?.value;
  return v === undefined || v === null ? undefined : typeof v === 'string' ? v : v.val;
};

// ---------------------------------------------------------------------------------------
// Framing: byte-for-byte the Quire frames of src-shared/protocol/frames.ts
//   u32 BE length | u8 kind | payload;  Sync payload = u16 BE room-id length | room id | bytes
// ---------------------------------------------------------------------------------------

const KIND_SYNC = 3;
const enc = new TextEncoder();
const dec = new TextDecoder();

function encodeFrame(kind, payload) {
  const out = new Uint8Array(5 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length + 1);
  out[4] = kind;
  out.set(payload, 5);
  return out;
}

function encodeSyncFrame(roomId, message) {
  const id = enc.encode(roomId);
  const payload = new Uint8Array(2 + id.length + message.length);
  new DataView(payload.buffer).setUint16(0, id.length);
  payload.set(id, 2);
  payload.set(message, 2 + id.length);
  return encodeFrame(KIND_SYNC, payload);
}

function decodeSyncPayload(payload) {
  const n = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint16(0);
  return { roomId: dec.decode(payload.subarray(2, 2 + n)), message: payload.slice(2 + n) };
}

class FrameDecoder {
  buf = new Uint8Array(0);
  push(chunk) {
    if (this.buf.length === 0) this.buf = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else {
      const all = new Uint8Array(this.buf.length + chunk.length);
      all.set(this.buf);
      all.set(chunk, this.buf.length);
      this.buf = all;
    }
    const frames = [];
    while (this.buf.length >= 4) {
      const len = new DataView(this.buf.buffer, this.buf.byteOffset, 4).getUint32(0);
      if (this.buf.length < 4 + len) break;
      frames.push({ kind: this.buf[4], payload: this.buf.slice(5, 4 + len) });
      this.buf = this.buf.subarray(4 + len);
    }
    if (this.buf.length === 0) this.buf = new Uint8Array(0);
    return frames;
  }
}

/** A bidirectional message pipe with byte/message counters (daemon side counts both ways). */
function socketPipe(sock, counters) {
  const decoder = new FrameDecoder();
  let handler = () => {};
  sock.setNoDelay?.(true);
  sock.on('data', (chunk) => {
    counters.lastTraffic = now();
    for (const f of decoder.push(chunk)) {
      counters.msgsIn++;
      handler(f);
    }
  });
  return {
    write(frame) {
      counters.lastTraffic = now();
      counters.msgsOut++;
      sock.write(frame);
    },
    onFrame(h) { handler = h; },
    bytes: () => ({ out: sock.bytesWritten, in: sock.bytesRead }),
  };
}

// ---------------------------------------------------------------------------------------
// Control channel (daemon ↔ client): IPC for a child process, the port for a worker.
// Never on the measured path: the client stamps its time before it sends anything.
// ---------------------------------------------------------------------------------------

function controlChannel(send, subscribe) {
  const waiters = [];
  const listeners = new Set();
  subscribe((msg) => {
    for (let i = 0; i < waiters.length; i++) {
      if (waiters[i].pred(msg)) {
        const [w] = waiters.splice(i, 1);
        w.resolve(msg);
        return;
      }
    }
    for (const l of listeners) l(msg);
  });
  return {
    send,
    next: (pred) => new Promise((resolve) => waiters.push({ pred, resolve })),
    on: (l) => listeners.add(l),
  };
}

// ---------------------------------------------------------------------------------------
// Stacks, daemon side. Each exposes: update(i, phase), heads(), ready (promise), info.
// ---------------------------------------------------------------------------------------

/** What Room does: commit → setImmediate → generateSyncMessage per peer; reply on receive. */
function rawDaemon(A, bytes, attachPeerTransport) {
  let doc = A.load(bytes);
  const peers = [];
  let scheduled = false;
  const syncPeer = (p) => {
    const [s, m] = A.generateSyncMessage(doc, p.syncState);
    p.syncState = s;
    if (m) p.send(m);
  };
  const scheduleSync = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      for (const p of peers) syncPeer(p);
    });
  };
  attachPeerTransport((send) => {
    const p = { send, syncState: A.initSyncState() };
    peers.push(p);
    syncPeer(p);
    return (message) => {
      const before = A.getHeads(doc);
      const [next, s] = A.receiveSyncMessage(doc, p.syncState, message);
      p.syncState = s;
      doc = next;
      if (A.getHeads(next).join() !== before.join()) scheduleSync();
      syncPeer(p);
    };
  });
  return {
    info: {},
    update(phase, i) {
      const before = A.getHeads(doc);
      doc = A.change(doc, (d) => {
        d.comms[widgetOf(i)].state.value = new A.ImmutableString(valueOf(phase, i));
      });
      if (A.getHeads(doc).join() !== before.join()) scheduleSync();
    },
    heads: () => A.getHeads(doc),
  };
}

/** A NetworkAdapter over Quire's framed unix socket: what we would write to adopt automerge-repo. */
function makeFramedSocketAdapter(R) {
  return class FramedSocketAdapter extends R.NetworkAdapter {
    #ready = false;
    #resolveReady;
    #readyP = new Promise((r) => (this.#resolveReady = r));
    #remote = null;
    constructor(pipe, role) {
      super();
      this.pipe = pipe;
      this.role = role;
    }
    isReady() { return this.#ready; }
    whenReady() { return this.#readyP; }
    #markReady() {
      if (!this.#ready) {
        this.#ready = true;
        this.#resolveReady();
      }
    }
    connect(peerId, peerMetadata) {
      this.peerId = peerId;
      this.peerMetadata = peerMetadata;
      this.pipe.onFrame((f) => {
        const { message: body } = decodeSyncPayload(f.payload);
        const msg = R.cbor.decode(body);
        if (msg.type === 'arrive') {
          this.#send({ type: 'welcome', senderId: this.peerId, peerMetadata: this.peerMetadata, targetId: msg.senderId });
          this.#announce(msg.senderId, msg.peerMetadata);
        } else if (msg.type === 'welcome') {
          this.#announce(msg.senderId, msg.peerMetadata);
        } else {
          this.emit('message', msg);
        }
      });
      if (this.role === 'client') this.#send({ type: 'arrive', senderId: peerId, peerMetadata });
      else this.#markReady();
    }
    #announce(peerId, peerMetadata) {
      this.#remote = peerId;
      this.#markReady();
      this.emit('peer-candidate', { peerId, peerMetadata });
    }
    #send(msg) {
      this.pipe.write(encodeSyncFrame(ROOM_ID, R.cbor.encode(msg)));
    }
    send(message) { this.#send(message); }
    disconnect() {
      if (this.#remote) this.emit('peer-disconnected', { peerId: this.#remote });
    }
  };
}

async function repoDaemon(mods, cfg, bytes, storageDir) {
  const { A, R } = mods;
  const repo = new R.Repo({
    peerId: 'quire-daemon',
    network: [],
    ...(cfg.storage === 'nodefs' ? { storage: new mods.NodeFS(storageDir), saveDebounceRate: cfg.saveDebounceRate } : {}),
    // Rooms are opened on request: never push docs, serve any doc a peer asks for.
    shareConfig: { announce: async () => false, access: async () => true },
  });
  const handle = repo.import(bytes);
  await handle.whenReady();
  const ds = repo.synchronizer.docSynchronizers[handle.documentId];
  return {
    repo,
    handle,
    info: { url: handle.url, syncDebounceRate: ds?.syncDebounceRate, saveDebounceRate: cfg.storage ? cfg.saveDebounceRate : 'n/a (no storage)' },
    update(phase, i) {
      handle.change((d) => {
        d.comms[widgetOf(i)].state.value = new A.ImmutableString(valueOf(phase, i));
      });
    },
    heads: () => A.getHeads(handle.doc()),
  };
}

// ---------------------------------------------------------------------------------------
// Daemon process: owns the doc, starts the client, drives the phases, reports.
// ---------------------------------------------------------------------------------------

async function daemonMain(cfg, opts) {
  const mods = cfg.stack === 'raw' ? await loadRaw() : await loadRepo(cfg);
  const { A } = mods;
  const bytes = buildDocBytes(A);
  const dir = mkdtempSync(join(tmpdir(), 'quire-syncbench-'));
  const sockPath = join(dir, 'd.sock');
  const counters = { msgsIn: 0, msgsOut: 0, lastTraffic: 0 };
  let bytesNow = () => ({ out: 0, in: 0 });
  let cleanup = [];
  let stack;

  // --- transport + stack wiring -----------------------------------------------------
  if (cfg.stack === 'raw') {
    let attach;
    stack = rawDaemon(A, bytes, (fn) => (attach = fn));
    if (cfg.transport === 'socket') {
      const server = createServer((sock) => {
        const pipe = socketPipe(sock, counters);
        bytesNow = pipe.bytes;
        const onMessage = attach((m) => pipe.write(encodeSyncFrame(ROOM_ID, m)));
        pipe.onFrame((f) => onMessage(decodeSyncPayload(f.payload).message));
      });
      await new Promise((r) => server.listen(sockPath, r));
      cleanup.push(() => server.close());
    } else {
      const { port1, port2 } = new MessageChannel();
      let bytesOut = 0;
      let bytesIn = 0;
      bytesNow = () => ({ out: bytesOut, in: bytesIn });
      const onMessage = attach((m) => {
        counters.msgsOut++;
        counters.lastTraffic = now();
        bytesOut += m.byteLength;
        port1.postMessage(m, [m.buffer]);
      });
      port1.on('message', (m) => {
        counters.msgsIn++;
        counters.lastTraffic = now();
        bytesIn += m.byteLength;
        onMessage(m);
      });
      cfg.clientPort = port2;
      cleanup.push(() => port1.close());
    }
  } else {
    stack = await repoDaemon(mods, cfg, bytes, join(dir, 'store'));
    const { R } = mods;
    if (cfg.transport === 'socket') {
      const Adapter = makeFramedSocketAdapter(R);
      const server = createServer((sock) => {
        const pipe = socketPipe(sock, counters);
        bytesNow = pipe.bytes;
        stack.repo.networkSubsystem.addNetworkAdapter(new Adapter(pipe, 'server'));
      });
      await new Promise((r) => server.listen(sockPath, r));
      cleanup.push(() => server.close());
    } else if (cfg.transport === 'websocket') {
      const http = createHttpServer();
      const wss = new mods.ws.WebSocketServer({ server: http });
      wss.on('connection', (ws, req) => {
        const s = req.socket;
        bytesNow = () => ({ out: s.bytesWritten, in: s.bytesRead });
        s.setNoDelay?.(true);
        ws.on('message', () => {
          counters.msgsIn++;
          counters.lastTraffic = now();
        });
        const origSend = ws.send.bind(ws);
        ws.send = (...a) => {
          counters.msgsOut++;
          counters.lastTraffic = now();
          return origSend(...a);
        };
      });
      stack.repo.networkSubsystem.addNetworkAdapter(new mods.WS.WebSocketServerAdapter(wss));
      await new Promise((r) => http.listen(sockPath, r));
      cleanup.push(() => {
        wss.close();
        http.close();
      });
    } else {
      const { port1, port2 } = new MessageChannel();
      let bytesOut = 0;
      let bytesIn = 0;
      bytesNow = () => ({ out: bytesOut, in: bytesIn });
      const adapter = new mods.MC(port1);
      const origSend = adapter.send.bind(adapter);
      adapter.send = (m) => {
        counters.msgsOut++;
        counters.lastTraffic = now();
        bytesOut += m.data?.byteLength ?? 0;
        origSend(m);
      };
      adapter.on('message', (m) => {
        counters.msgsIn++;
        counters.lastTraffic = now();
        bytesIn += m.data?.byteLength ?? 0;
      });
      stack.repo.networkSubsystem.addNetworkAdapter(adapter);
      cfg.clientPort = port2;
      cleanup.push(() => port1.close());
    }
  }

  // --- the client ------------------------------------------------------------------
  const clientCfg = { ...cfg, clientPort: undefined, sockPath, url: stack.info.url, heads: stack.heads() };
  let ctl;
  let child;
  if (cfg.transport === 'messagechannel') {
    child = new Worker(SELF, { workerData: { role: 'client', cfg: clientCfg, port: cfg.clientPort }, transferList: [cfg.clientPort], env: process.env });
    ctl = controlChannel((m) => child.postMessage(m), (h) => child.on('message', h));
    child.on('error', (e) => {
      console.error('client worker failed:', e);
      process.exit(1);
    });
  } else {
    child = fork(SELF, ['client', JSON.stringify(clientCfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    ctl = controlChannel((m) => child.send(m), (h) => child.on('message', h));
    child.on('exit', (code) => {
      if (code) {
        console.error(`client exited with ${code}`);
        process.exit(1);
      }
    });
  }

  const quiesce = async (quietMs = 250, maxMs = 3000) => {
    const start = now();
    while (now() - counters.lastTraffic < quietMs && now() - start < maxMs) await sleep(20);
  };
  const snap = () => ({ ...bytesNow(), msgsIn: counters.msgsIn, msgsOut: counters.msgsOut, cpu: process.cpuUsage() });
  const delta = (a, b) => ({
    bytesOut: b.out - a.out,
    bytesIn: b.in - a.in,
    msgsOut: b.msgsOut - a.msgsOut,
    msgsIn: b.msgsIn - a.msgsIn,
    daemonCpuMs: (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1000,
  });

  // --- open ---------------------------------------------------------------------------
  const s0 = snap();
  const opened = await ctl.next((m) => m.type === 'opened');
  await quiesce();
  const openStats = { ms: opened.ms, ...delta(s0, snap()), clientCpuMs: opened.cpuMs };

  // --- clock alignment: offset = client clock − daemon clock ---------------------------
  let best = { rtt: Infinity, offset: 0 };
  for (let k = 0; k < 30; k++) {
    const t0 = now();
    ctl.send({ type: 'ping', k });
    const pong = await ctl.next((m) => m.type === 'pong' && m.k === k);
    const t1 = now();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: pong.t - (t0 + t1) / 2 };
  }

  // --- sequential ----------------------------------------------------------------------
  const runSeq = async (phase, count) => {
    ctl.send({ type: 'phase', phase, mode: 'seq', count });
    await ctl.next((m) => m.type === 'armed' && m.phase === phase);
    const lat = [];
    const a = snap();
    const clientCpu0 = (await (ctl.send({ type: 'cpu' }), ctl.next((m) => m.type === 'cpu'))).cpuMs;
    for (let i = 0; i < count; i++) {
      const t0 = now();
      stack.update(phase, i);
      const ack = await ctl.next((m) => m.type === 'seen' && m.phase === phase && m.i === i);
      lat.push(ack.t - best.offset - t0);
    }
    await quiesce();
    const d = delta(a, snap());
    const clientCpu1 = (await (ctl.send({ type: 'cpu' }), ctl.next((m) => m.type === 'cpu'))).cpuMs;
    return { lat, ...d, clientCpuMs: clientCpu1 - clientCpu0 };
  };
  await runSeq('warm', WARMUP);
  const seq = await runSeq('seq', opts.seq);

  // --- burst ---------------------------------------------------------------------------
  ctl.send({ type: 'phase', phase: 'burst', mode: 'burst', count: opts.burst });
  await ctl.next((m) => m.type === 'armed' && m.phase === 'burst');
  ctl.send({ type: 'cpu' });
  const bc0 = (await ctl.next((m) => m.type === 'cpu')).cpuMs;
  const b0 = snap();
  const tb0 = now();
  const doneP = ctl.next((m) => m.type === 'done' && m.phase === 'burst');
  for (let i = 0; i < opts.burst; i++) {
    stack.update('burst', i);
    await tick();
  }
  const appliedMs = now() - tb0;
  const done = await doneP;
  const burstMs = done.t - best.offset - tb0;
  await quiesce();
  const bd = delta(b0, snap());
  ctl.send({ type: 'cpu' });
  const bc1 = (await ctl.next((m) => m.type === 'cpu')).cpuMs;
  // "client holds everything the daemon had": heads the client reported when it saw the last change.
  const daemonHeads = stack.heads();
  const allHeld = done.heads.length === daemonHeads.length && daemonHeads.every((h) => done.heads.includes(h));

  ctl.send({ type: 'exit' });
  await new Promise((r) => (cfg.transport === 'messagechannel' ? child.once('exit', r) : child.once('exit', r)));
  for (const c of cleanup) c();
  if (stack.repo) await stack.repo.shutdown?.().catch(() => {});
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {}

  return {
    config: cfg.name,
    versions: mods.versions,
    info: stack.info,
    docBytes: bytes.length,
    clockRttMs: best.rtt,
    open: openStats,
    seq: { ...seq },
    burst: { ms: burstMs, appliedMs, allHeld, ...bd, clientCpuMs: bc1 - bc0 },
  };
}

// ---------------------------------------------------------------------------------------
// Client: a replica that reports when it sees each expected value.
// ---------------------------------------------------------------------------------------

async function clientMain(cfg, ctl, port) {
  const mods = cfg.stack === 'raw' ? await loadRaw() : await loadRepo(cfg);
  const { A } = mods;
  let expect = null;
  const cpuMs = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };

  const check = (doc) => {
    if (!expect) return;
    if (expect.mode === 'seq') {
      while (expect.next < expect.count && readValue(doc, widgetOf(expect.next)) === valueOf(expect.phase, expect.next)) {
        ctl.send({ type: 'seen', phase: expect.phase, i: expect.next, t: now() });
        expect.next++;
      }
    } else if (!expect.done && readValue(doc, widgetOf(expect.count - 1)) === valueOf(expect.phase, expect.count - 1)) {
      const t = now();
      expect.done = true;
      ctl.send({ type: 'done', phase: expect.phase, t, heads: A.getHeads(doc) });
    }
  };

  const t0 = now();
  const counters = { msgsIn: 0, msgsOut: 0, lastTraffic: 0 };
  let getDoc;
  let repo;
  let openedResolve;
  const openedP = new Promise((r) => (openedResolve = r));
  const hasAll = (doc) => doc && A.hasHeads(doc, cfg.heads);

  if (cfg.stack === 'raw') {
    // What NotebookSession does.
    let doc = A.init();
    let syncState = A.initSyncState();
    let sendRaw;
    const sendSync = () => {
      const [s, m] = A.generateSyncMessage(doc, syncState);
      syncState = s;
      if (m) sendRaw(m);
    };
    const receive = (message) => {
      const before = A.getHeads(doc);
      [doc, syncState] = A.receiveSyncMessage(doc, syncState, message);
      sendSync();
      if (A.getHeads(doc).join() !== before.join()) {
        check(doc);
        if (hasAll(doc)) openedResolve();
      }
    };
    if (cfg.transport === 'socket') {
      const sock = connect(cfg.sockPath);
      await new Promise((r) => sock.once('connect', r));
      const pipe = socketPipe(sock, counters);
      sendRaw = (m) => pipe.write(encodeSyncFrame(ROOM_ID, m));
      pipe.onFrame((f) => receive(decodeSyncPayload(f.payload).message));
    } else {
      sendRaw = (m) => port.postMessage(m, [m.buffer]);
      port.on('message', (m) => receive(m));
    }
    sendSync(); // NotebookSession.start()
    getDoc = () => doc;
  } else {
    const { R } = mods;
    let adapter;
    if (cfg.transport === 'socket') {
      const sock = connect(cfg.sockPath);
      await new Promise((r) => sock.once('connect', r));
      adapter = new (makeFramedSocketAdapter(R))(socketPipe(sock, counters), 'client');
    } else if (cfg.transport === 'websocket') {
      adapter = new mods.WS.WebSocketClientAdapter(`ws+unix:${cfg.sockPath}:/`);
    } else {
      adapter = new mods.MC(port);
    }
    // The client must "announce" to the daemon, or find() never asks it for the doc.
    repo = new R.Repo({ peerId: `quire-client-${process.pid}`, network: [adapter] });
    const handle = await repo.find(cfg.url);
    handle.on('change', ({ doc }) => check(doc));
    getDoc = () => handle.doc();
    if (hasAll(handle.doc())) openedResolve();
    else handle.on('change', ({ doc }) => hasAll(doc) && openedResolve());
  }
  await openedP;
  ctl.send({ type: 'opened', ms: now() - t0, cpuMs: cpuMs() });

  await new Promise((resolveExit) => {
    ctl.on((m) => {
      if (m.type === 'ping') ctl.send({ type: 'pong', k: m.k, t: now() });
      else if (m.type === 'cpu') ctl.send({ type: 'cpu', cpuMs: cpuMs() });
      else if (m.type === 'phase') {
        expect = { phase: m.phase, mode: m.mode, count: m.count, next: 0, done: false };
        ctl.send({ type: 'armed', phase: m.phase });
        check(getDoc());
      } else if (m.type === 'exit') resolveExit();
    });
  });
  if (repo) await repo.shutdown?.().catch(() => {});
}

// ---------------------------------------------------------------------------------------
// Orchestrator
// ---------------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { runs: 3, seq: 500, burst: 10000, only: null, json: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--seq') o.seq = Number(argv[++i]);
    else if (a === '--burst') o.burst = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--json') o.json = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log('usage: [AMREPO_NODE_MODULES=dir] node bench/sync-transport.bench.mjs [--runs N] [--seq N] [--burst N] [--only a,b] [--json file]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (x, d = 2) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;

async function orchestrate() {
  const opts = parseArgs(process.argv.slice(2));
  const nm = process.env.AMREPO_NODE_MODULES;
  const haveRepo = nm && existsSync(join(nm, '@automerge', 'automerge-repo', 'package.json'));
  if (!haveRepo) {
    console.log(
      nm
        ? `AMREPO_NODE_MODULES=${nm} holds no @automerge/automerge-repo: skipping the automerge-repo half.`
        : 'AMREPO_NODE_MODULES is not set: skipping the automerge-repo half (set it to a node_modules dir with @automerge/automerge-repo 2.x and its adapters).',
    );
  }
  let configs = CONFIGS.filter((c) => c.stack === 'raw' || haveRepo);
  if (opts.only) configs = configs.filter((c) => opts.only.includes(c.name));
  console.log(`node ${process.version}, ${cpus().length} cpus; ${opts.runs} runs × (open, ${WARMUP} warm-up + ${opts.seq} sequential, burst ${opts.burst}); doc: ${WIDGETS} widgets × ${TRAITS} traits`);

  const all = [];
  for (const cfg of configs) {
    const runs = [];
    for (let r = 0; r < opts.runs; r++) {
      const result = await new Promise((resolve, reject) => {
        const p = fork(SELF, ['daemon', JSON.stringify(cfg), JSON.stringify(opts)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        let got = null;
        p.on('message', (m) => (got = m));
        p.on('exit', (code) => (code === 0 && got ? resolve(got) : reject(new Error(`${cfg.name} run ${r} exited with ${code}`))));
      });
      const s = [...result.seq.lat].sort((a, b) => a - b);
      console.log(
        `  ${cfg.name.padEnd(26)} run ${r + 1}: open ${f(result.open.ms, 1)} ms | seq p50 ${f(pct(s, 50))} p95 ${f(pct(s, 95))} max ${f(s[s.length - 1])} ms | burst ${f(result.burst.ms, 0)} ms (applied in ${f(result.burst.appliedMs, 0)}, all held: ${result.burst.allHeld})`,
      );
      runs.push(result);
    }
    all.push({ cfg, runs });
  }

  // --- summary -------------------------------------------------------------------------
  const first = all.find((a) => a.runs.length)?.runs[0];
  console.log('\nversions:', JSON.stringify(Object.assign({}, ...all.map((a) => a.runs[0]?.versions ?? {}))));
  for (const { cfg, runs } of all) if (runs[0]?.info && Object.keys(runs[0].info).length) console.log(`${cfg.name} settings: ${JSON.stringify({ ...runs[0].info, url: undefined })}`);
  if (first) console.log(`doc: ${kb(first.docBytes)} saved; clock-alignment RTT ~${f(first.clockRttMs, 3)} ms`);
  console.log(
    `\n| config | open ms | seq p50 ms | seq p95 ms | seq max ms | seq bytes d→c / c→d | seq msgs d→c / c→d | seq CPU ms d / c | burst ms (min–max) | burst bytes d→c / c→d | burst msgs d→c | burst CPU ms d / c | all held |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const summary = [];
  for (const { cfg, runs } of all) {
    const lat = runs.flatMap((r) => r.seq.lat).sort((a, b) => a - b);
    const m = (sel) => med(runs.map(sel));
    const bursts = runs.map((r) => r.burst.ms);
    const row = {
      config: cfg.name,
      openMs: m((r) => r.open.ms),
      seqP50: pct(lat, 50),
      seqP95: pct(lat, 95),
      seqMax: lat[lat.length - 1],
      seqBytesOut: m((r) => r.seq.bytesOut),
      seqBytesIn: m((r) => r.seq.bytesIn),
      seqMsgsOut: m((r) => r.seq.msgsOut),
      seqMsgsIn: m((r) => r.seq.msgsIn),
      seqCpuD: m((r) => r.seq.daemonCpuMs),
      seqCpuC: m((r) => r.seq.clientCpuMs),
      burstMs: med(bursts),
      burstMin: Math.min(...bursts),
      burstMax: Math.max(...bursts),
      burstBytesOut: m((r) => r.burst.bytesOut),
      burstBytesIn: m((r) => r.burst.bytesIn),
      burstMsgsOut: m((r) => r.burst.msgsOut),
      burstCpuD: m((r) => r.burst.daemonCpuMs),
      burstCpuC: m((r) => r.burst.clientCpuMs),
      allHeld: runs.every((r) => r.burst.allHeld),
    };
    summary.push(row);
    console.log(
      `| ${row.config} | ${f(row.openMs, 1)} | ${f(row.seqP50)} | ${f(row.seqP95)} | ${f(row.seqMax)} | ${kb(row.seqBytesOut)} / ${kb(row.seqBytesIn)} | ${row.seqMsgsOut} / ${row.seqMsgsIn} | ${f(row.seqCpuD, 0)} / ${f(row.seqCpuC, 0)} | ${f(row.burstMs, 0)} (${f(row.burstMin, 0)}–${f(row.burstMax, 0)}) | ${kb(row.burstBytesOut)} / ${kb(row.burstBytesIn)} | ${row.burstMsgsOut} | ${f(row.burstCpuD, 0)} / ${f(row.burstCpuC, 0)} | ${row.allHeld ? 'yes' : 'NO'} |`,
    );
  }
  console.log('\nseq = one `w.value = i` change at a time, next one after the client saw it; pooled over runs. Other columns: median of runs.');
  console.log('bytes: socket/websocket = bytes on the unix socket (framing included); messagechannel = sync-message payload bytes only.');
  if (opts.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(opts.json, JSON.stringify({ opts, summary, runs: all.map(({ cfg, runs }) => ({ cfg, runs: runs.map((r) => ({ ...r, seq: { ...r.seq, lat: undefined } })) })) }, null, 2));
  }
}

// ---------------------------------------------------------------------------------------
// Entry
// ---------------------------------------------------------------------------------------

if (!isMainThread && workerData?.role === 'client') {
  const ctl = controlChannel((m) => parentPort.postMessage(m), (h) => parentPort.on('message', h));
  await clientMain(workerData.cfg, ctl, workerData.port);
  workerData.port.close();
  process.exit(0);
} else if (process.argv[2] === 'client') {
  const cfg = JSON.parse(process.argv[3]);
  const ctl = controlChannel((m) => process.send(m), (h) => process.on('message', h));
  await clientMain(cfg, ctl, null);
  process.exit(0);
} else if (process.argv[2] === 'daemon') {
  const cfg = JSON.parse(process.argv[3]);
  const opts = JSON.parse(process.argv[4]);
  const result = await daemonMain(cfg, opts);
  process.send(result, () => process.exit(0));
} else {
  await orchestrate();
}
