/**
 * npm's postinstall for this project: points node_modules/.bin/tsc and tsserver at the project's own TypeScript.
 *
 * Two installed packages provide a `tsc` command: `typescript` (the project's compiler, the one `npm run typecheck`
 * calls) and `@tslab/typescript-for-tslab` (TypeScript 5.0, bundled with the notebook kernel, which loads it as a
 * library and never runs its command). npm links whichever it meets last, and 5.0 cannot read this project (import
 * attributes), so `npx tsc` failed where `npm run typecheck` passed. This script makes them the same compiler.
 *
 * It replaces a link only when it is a symbolic link to another package's file inside node_modules; a regular file,
 * a link elsewhere or a missing `typescript` (an install without dev dependencies) is left as it is, with a note.
 * On Windows npm writes command shims, not links: nothing is changed there.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const modules = path.join(__dirname, '..', 'node_modules');
const binDir = path.join(modules, '.bin');
const own = path.join(modules, 'typescript', 'bin');

function relink(name) {
  const link = path.join(binDir, name);
  const target = path.join(own, name);
  if (!fs.existsSync(target)) return `${name}: no ${path.relative(process.cwd(), target)}, left as it is`;
  let stat;
  try {
    stat = fs.lstatSync(link);
  } catch {
    stat = undefined;
  }
  if (stat && !stat.isSymbolicLink()) return `${name}: ${path.relative(process.cwd(), link)} is not a link, left as it is`;
  if (stat) {
    const current = path.resolve(binDir, fs.readlinkSync(link));
    if (current === target) return undefined;
    if (!current.startsWith(modules + path.sep)) return `${name}: ${path.relative(process.cwd(), link)} points outside node_modules, left as it is`;
  }
  // A new link beside the old one, then renamed over it: the old link is replaced in one step or not at all.
  const tmp = `${link}.${process.pid}.tmp`;
  fs.symlinkSync(path.relative(binDir, target), tmp);
  fs.renameSync(tmp, link);
  return `${name}: now the project's TypeScript (${path.relative(modules, target)})`;
}

if (process.platform !== 'win32' && fs.existsSync(binDir)) {
  for (const name of ['tsc', 'tsserver']) {
    const note = relink(name);
    if (note) console.log(`link-tsc: ${note}`);
  }
}
