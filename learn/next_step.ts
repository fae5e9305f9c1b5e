/**
 * The commands a learner is told to run next, naming the workspace whenever it is not the default `exercises/`:
 * a workspace made with `--dir` (or CS231N_EXERCISES_DIR) is found by the next command only if it is named again.
 */
import * as path from 'node:path';
import { PROJECT_ROOT } from './impl';

/** A path as one shell word: quoted when the shell would split or expand it. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** ' --dir <dir>' for a workspace other than <project>/exercises, else ''. dir: absolute. */
export function dirFlag(dir: string): string {
  return path.resolve(dir) === path.join(PROJECT_ROOT, 'exercises') ? '' : ` --dir ${shellWord(dir)}`;
}

/** `npm run check` for these exercises (none: all of them) in the workspace dir. */
export function checkCommand(dir: string, ids: readonly string[] = [], extra = ''): string {
  const args = `${ids.join(' ')}${dirFlag(dir)}${extra}`.trim();
  return args === '' ? 'npm run check' : `npm run check -- ${args}`;
}

/** `npm run exercises -- init` for the workspace dir. */
export function initCommand(dir: string): string {
  return `npm run exercises --${dirFlag(dir)} init`;
}
