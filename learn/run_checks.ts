/**
 * Runs exercises' checks on the workspace the redirect points at and turns each outcome into a status:
 * pass, todo (the exercise's own stub threw), waits (another exercise's stub threw: do that one first) or fails.
 * Load only after learn/impl.ts's useWorkspace.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CHECKS, CheckFailure, CheckProblem } from './checks';
import { STATIC_HINTS } from './hints';
import { STUB_MESSAGE, activeWorkspace } from './impl';
import { Exercise, exerciseOfFunction } from './manifest';

export type Status =
  | { kind: 'pass' }
  | { kind: 'todo'; fn: string }
  | { kind: 'waits'; on: Exercise; fn: string }
  | { kind: 'fails'; message: string };

export interface Outcome {
  exercise: Exercise;
  status: Status;
  seconds: number;
}

/** Runs one exercise's check. */
export function runCheck(exercise: Exercise): Outcome {
  const start = performance.now();
  const before = tf.memory().numTensors;
  let status: Status;
  try {
    const check = CHECKS[exercise.id];
    if (!check) throw new Error(`no check for ${exercise.id}`);
    check();
    const leaked = tf.memory().numTensors - before;
    status = leaked > 0 ? { kind: 'fails', message: `leaks ${leaked} tensor(s): wrap the work in tf.tidy, or dispose what you made` } : { kind: 'pass' };
  } catch (err) {
    status = classify(exercise, err);
  }
  return { exercise, status, seconds: (performance.now() - start) / 1000 };
}

function classify(exercise: Exercise, err: unknown): Status {
  const message = err instanceof Error ? err.message : String(err);
  const stub = STUB_MESSAGE.exec(message);
  if (stub) {
    const owner = exerciseOfFunction(stub[1]);
    if (!owner || owner.id === exercise.id) return { kind: 'todo', fn: stub[1] };
    return { kind: 'waits', on: owner, fn: stub[1] };
  }
  const hint = STATIC_HINTS[exercise.id];
  if (err instanceof CheckFailure) return { kind: 'fails', message: err.hint || !hint ? message : `${message}; usual mistake: ${hint}` };
  if (err instanceof CheckProblem) return { kind: 'fails', message };
  // An error of the learner's own code: its message, and where it came from.
  const dir = activeWorkspace();
  const where = err instanceof Error && dir ? (err.stack ?? '').split('\n').find((l) => l.includes(dir)) : undefined;
  return { kind: 'fails', message: `threw: ${message}${where ? ` (${where.trim()})` : ''}` };
}
