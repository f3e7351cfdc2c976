import { describe, expect, it } from 'vitest';
import { kernelArgv, kernelEnv, substituteEnv } from './launch-command';
import type { KernelSpec } from './provider';

const spec: KernelSpec = {
  name: 'py',
  resourceDir: '/specs/py',
  argv: ['python', '-f', '{connection_file}', '--logo={resource_dir}/logo.png'],
  display_name: 'Py',
  language: 'python',
  interrupt_mode: 'signal',
  env: { PATH: '/extra:$PATH', GREETING: '${WHO} says $$5', UNKNOWN: '$NOPE stays' },
  metadata: {},
};

describe('launch command', () => {
  it('substitutes {connection_file} and {resource_dir} in argv', () => {
    expect(kernelArgv(spec, '/run/k.json')).toEqual(['python', '-f', '/run/k.json', '--logo=/specs/py/logo.png']);
  });

  it('layers process env, spec env (with $VAR templates) and launch env', () => {
    const env = kernelEnv(spec, { WHO: 'overridden' }, { PATH: '/usr/bin', WHO: 'ann', DROPPED: undefined, JPY_PARENT_PID: '7' });
    expect(env.PATH).toBe('/extra:/usr/bin');
    expect(env.GREETING).toBe('ann says $5'); // templates see the base env, launch env wins afterwards
    expect(env.WHO).toBe('overridden');
    expect(env.UNKNOWN).toBe('$NOPE stays');
    // Kernels must not exit with the daemon: they outlive a crash and are re-adopted.
    expect('JPY_PARENT_PID' in env).toBe(false);
    expect('DROPPED' in env).toBe(false);
  });

  it('leaves unknown names as written, like Template.safe_substitute', () => {
    expect(substituteEnv('${A}-$B-${C', { A: '1' })).toBe('1-$B-${C');
  });
});
