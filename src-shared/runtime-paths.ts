/**
 * Where the daemon keeps its files. Pure string work so daemon and every client agree;
 * callers pass the environment and home directory in.
 *
 * `QUIRE_HOME` relocates everything (tests, parallel users). Without it, state lives in
 * `~/.local/state/quire` and the socket, token and lock in `$XDG_RUNTIME_DIR/quire`
 * (falling back to the state dir's `run/`).
 */
export interface QuirePaths {
  home: string;
  runDir: string;
  socket: string;
  token: string;
  lock: string;
  log: string;
  blobs: string;
  docs: string;
  kernels: string;
}

function join(...parts: string[]): string {
  return parts.join('/').replace(/\/+/g, '/');
}

export function quirePaths(env: Record<string, string | undefined>, homedir: string): QuirePaths {
  const explicit = env.QUIRE_HOME;
  const home = explicit ?? join(env.XDG_STATE_HOME ?? join(homedir, '.local', 'state'), 'quire');
  const runDir = explicit || !env.XDG_RUNTIME_DIR ? join(home, 'run') : join(env.XDG_RUNTIME_DIR, 'quire');
  return {
    home,
    runDir,
    socket: join(runDir, 'daemon.sock'),
    token: join(runDir, 'token'),
    lock: join(runDir, 'daemon.lock'),
    log: join(home, 'daemon.log'),
    blobs: join(home, 'blobs'),
    docs: join(home, 'docs'),
    kernels: join(runDir, 'kernels'),
  };
}
