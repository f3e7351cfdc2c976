/** Daemon logging: one line per event, to the daemon log file (and stderr in the foreground). */
import { appendFileSync } from 'node:fs';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function fileLogger(file: string, alsoStderr: boolean): Logger {
  // A foreground daemon whose terminal went away gets EPIPE on stderr: stop echoing there
  // (and never log that failure, which would fail again, forever).
  if (alsoStderr) {
    process.stderr.on('error', () => {
      alsoStderr = false;
    });
  }
  const line = (level: string, message: string) => {
    const text = `${new Date().toISOString()} ${level} ${message}\n`;
    try {
      appendFileSync(file, text, { mode: 0o600 });
    } catch {
      // Logging must never take the daemon down.
    }
    if (alsoStderr && process.stderr.writable) process.stderr.write(text);
  };
  return {
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m) => line('error', m),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
