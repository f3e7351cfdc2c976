/**
 * Turns a kernelspec into the argv and environment of a kernel process, the way
 * jupyter_client does, so kernelspecs written for Jupyter behave the same here.
 */
import type { KernelSpec } from './provider';

export function kernelArgv(spec: KernelSpec, connectionFile: string): string[] {
  return spec.argv.map((arg) =>
    arg.replaceAll('{connection_file}', connectionFile).replaceAll('{resource_dir}', spec.resourceDir),
  );
}

/**
 * process.env + spec.env + extra. Spec values may reference the environment (`$PATH`,
 * `${HOME}`), as Python's Template.safe_substitute allows: unknown names stay as written.
 */
export function kernelEnv(
  spec: KernelSpec,
  extra: Record<string, string> = {},
  base: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value;
  for (const [name, value] of Object.entries(spec.env)) env[name] = substituteEnv(value, env);
  // No JPY_PARENT_PID: ipykernel would watch that pid and exit with a crashed daemon, and
  // kernels must outlive a crash so the next daemon can re-adopt them (kernel-registry.ts).
  // Drop an inherited one too (a daemon started from inside a Jupyter kernel).
  delete env.JPY_PARENT_PID;
  Object.assign(env, extra);
  return env;
}

export function substituteEnv(template: string, env: Record<string, string>): string {
  return template.replace(
    /\$(?:(\$)|([_a-zA-Z][_a-zA-Z0-9]*)|\{([_a-zA-Z][_a-zA-Z0-9]*)\})/g,
    (whole, dollar: string | undefined, bare: string | undefined, braced: string | undefined) => {
      if (dollar) return '$';
      const value = env[(bare ?? braced)!];
      return value ?? whole;
    },
  );
}
