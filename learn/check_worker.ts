/**
 * A worker thread of `npm run check`. It takes groups of exercises (one workspace file's) one at a time: for each,
 * `{ type: 'group', files, ids }` sets which workspace files it loads (everything else is the library's) and
 * reloads the checks under that set; then it runs the checks one after the other, posting `{ type: 'start', id }`
 * before each and `{ type: 'result', id, status }` after, and `{ type: 'idle' }` when the group is done. Only a
 * result message counts as an outcome: a learner's process.exit, a crash or a hang ends the worker without one,
 * and the parent (learn/run_checks.ts) says so.
 */
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { STUB_MESSAGE, redirectOnly, useWorkspace } from './impl';
import { exerciseById, exerciseOfFunction } from './manifest';
import type { Status } from './run_checks';

export interface WorkerInput {
  /** The workspace, absolute. */
  dir: string;
}

export interface GroupMessage {
  type: 'group';
  /** Workspace files (relative to src/) to load from the workspace. */
  files: string[];
  ids: string[];
}

/** The message an error carries, whatever was thrown. */
function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return `a ${typeof err} was thrown, not an Error: ${JSON.stringify(err) ?? String(err)}`;
}

/** The first line of an error from loading a workspace file that does not compile. */
function loadError(err: unknown, dir: string): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const m = /Transform failed with \d+ errors?:\n([^\n]+)/.exec(err.message) ?? (err.name === 'SyntaxError' ? [err.message, err.message] : null);
  if (!m) return undefined;
  return `cannot load your code: ${m[1].replace(dir + path.sep, '')} (fix it, then check again; \`npm run exercises -- typecheck\` lists every error)`;
}

function classify(id: string, err: unknown, dir: string, common: typeof import('./checks/common')): Status {
  const message = messageOf(err);
  const stub = STUB_MESSAGE.exec(message);
  if (stub) {
    const owner = exerciseOfFunction(stub[1]);
    if (!owner || owner.id === id) return { kind: 'todo', fn: stub[1] };
    return { kind: 'waits', on: owner.id, fn: stub[1] };
  }
  const load = loadError(err, dir);
  if (load) return { kind: 'fails', message: load };
  // A workspace file refused by the bounded reader (a FIFO, a link to /dev/zero): its one line is the outcome.
  if (err instanceof Error && err.name === 'WorkspaceError') return { kind: 'fails', message };
  // A failure's hint is the check's, from the learner's numbers (learn/hints.ts); no exercise-wide guess is added.
  if (err instanceof common.CheckFailure || err instanceof common.CheckProblem) return { kind: 'fails', message };
  // An error of the learner's own code: its message, and where it came from.
  const where = err instanceof Error ? (err.stack ?? '').split('\n').find((l) => l.includes(dir)) : undefined;
  return { kind: 'fails', message: `threw: ${message}${where ? ` (${where.trim().replace(dir + path.sep, '')})` : ''}` };
}

function runGroup(g: GroupMessage, dir: string): void {
  const port = parentPort!;
  redirectOnly(new Set(g.files));
  const common = require('./checks/common') as typeof import('./checks/common');
  const { checkOf } = require('./checks/index') as typeof import('./checks/index');
  for (const id of g.ids) {
    port.postMessage({ type: 'start', id });
    const start = performance.now();
    const before = tf.memory().numTensors;
    let status: Status;
    try {
      const note = checkOf(exerciseById(id))();
      const leaked = tf.memory().numTensors - before;
      status = leaked > 0 ? { kind: 'fails', message: `leaks ${leaked} tensor(s): wrap the work in tf.tidy, or dispose what you made and do not return` } : typeof note === 'string' ? { kind: 'pass', note } : { kind: 'pass' };
    } catch (err) {
      status = classify(id, err, dir, common);
    }
    port.postMessage({ type: 'result', id, status, seconds: (performance.now() - start) / 1000 });
  }
  port.postMessage({ type: 'idle' });
}

async function main(): Promise<void> {
  const { dir } = workerData as WorkerInput;
  useWorkspace(dir, new Set());
  await tf.setBackend('cpu');
  tf.env().set('DEBUG', false);
  // PROD quiets tfjs's advice to install tfjs-node, which would come first in every check's output.
  tf.env().set('PROD', true);
  parentPort!.on('message', (m: GroupMessage) => {
    if (m?.type === 'group') runGroup(m, dir);
  });
  parentPort!.postMessage({ type: 'idle' });
}

if (parentPort) void main();
