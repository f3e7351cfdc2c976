/**
 * The connection file a Jupyter kernel reads with `-f`. It holds the HMAC key, so it is
 * written 0600 inside a 0700 directory: another local user must not be able to drive the kernel.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';

export interface ChannelPorts {
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
}

export interface ConnectionInfo extends ChannelPorts {
  ip: string;
  transport: 'tcp';
  signature_scheme: 'hmac-sha256';
  key: string;
  kernel_name: string;
}

export function newConnectionKey(): string {
  return randomBytes(32).toString('hex');
}

export function portsFrom(ports: readonly number[]): ChannelPorts {
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = ports;
  if (hb_port === undefined || shell_port === undefined || iopub_port === undefined || stdin_port === undefined || control_port === undefined) {
    throw new Error(`need 5 ports, got ${ports.length}`);
  }
  return { shell_port, iopub_port, stdin_port, control_port, hb_port };
}

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export async function writeConnectionFile(file: string, info: ConnectionInfo): Promise<void> {
  await writeFile(file, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  // On a restart the file already exists and writeFile keeps its old mode; make sure.
  await chmod(file, 0o600);
}

export async function removeFile(file: string): Promise<void> {
  await rm(file, { force: true });
}
