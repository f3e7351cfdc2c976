import { describe, expect, it } from 'vitest';
import { ExecutionStateTracker } from './execution-state';

describe('ExecutionStateTracker', () => {
  it("a control request's idle does not end a cell that is still running", () => {
    const t = new ExecutionStateTracker();
    expect(t.observe('exec-1', 'busy')).toBe('busy');
    expect(t.observe('interrupt-1', 'busy')).toBe('busy');
    expect(t.observe('interrupt-1', 'idle')).toBe('busy');
    expect(t.observe('exec-1', 'idle')).toBe('idle');
  });

  it('overlapping requests end in any order; a repeated idle changes nothing', () => {
    const t = new ExecutionStateTracker();
    t.observe('a', 'busy');
    t.observe('b', 'busy');
    expect(t.observe('a', 'idle')).toBe('busy');
    expect(t.observe('a', 'idle')).toBe('busy');
    expect(t.observe('b', 'idle')).toBe('idle');
  });

  it('starting until the first busy/idle; statuses without a parent pair with each other; unknown states are ignored', () => {
    const t = new ExecutionStateTracker();
    expect(t.observe(undefined, 'starting')).toBe('starting');
    expect(t.state).toBe('starting');
    expect(t.observe(undefined, 'busy')).toBe('busy');
    expect(t.observe({}, 'idle')).toBe('idle');
    expect(t.observe('x', 'restarting-ish')).toBeUndefined();
    expect(t.state).toBe('idle');
  });

  it('reset forgets what a previous kernel process was busy with', () => {
    const t = new ExecutionStateTracker();
    t.observe('lost', 'busy');
    t.reset();
    expect(t.state).toBe('idle');
  });
});
