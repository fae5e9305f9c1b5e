/** Builds the planted workspaces of planted.spec.ts: constants everywhere, or plants in copies of the solutions. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initWorkspace } from '../../learn/workspace';
import { CONSTANT_BODIES, Plant } from './planted';

/** A workspace whose every exercise returns constants. */
export function constantWorkspace(dir: string): void {
  initWorkspace(dir, false, CONSTANT_BODIES);
}

/** A workspace of the solutions with these plants in it; throws when a solution text is not found exactly once. */
export function plantedWorkspace(dir: string, plants: readonly Plant[]): void {
  const bodies: Record<string, string> = {};
  for (const [, , good, bad] of plants) if (good.startsWith('BODY ')) bodies[good.slice(5)] = bad;
  initWorkspace(dir, true, bodies);
  for (const [id, file, good, bad] of plants) {
    if (good.startsWith('BODY ')) continue;
    const f = path.join(dir, file);
    const text = fs.readFileSync(f, 'utf8');
    const count = text.split(good).length - 1;
    if (count !== 1) throw new Error(`plant for ${id}: the solution text occurs ${count} times in ${file}: ${good}`);
    fs.writeFileSync(f, text.replace(good, () => bad));
  }
}
