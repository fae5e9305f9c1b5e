/**
 * The import direction of docs/architecture.md: the course wing (src/) imports nothing outside itself but
 * packages, so nothing from the machinery (runtime/) or the programs (scripts/, learn/, web/, bench/, reference/).
 * Every import, export-from, require and dynamic import of every .ts file under src/ is read with TypeScript's
 * own pre-processor (comments and strings cannot hide or fake one); a relative specifier must resolve inside src/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');

/** Every .ts file under dir, recursively. */
function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** One line per import of `file` that leaves src/: "src/a.ts imports '../runtime/x' (runtime/x)". */
function importsLeavingSrc(file: string, text: string): string[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  const lines: string[] = [];
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith('.') && !path.isAbsolute(fileName)) continue;
    const target = path.resolve(path.dirname(file), fileName);
    const rel = path.relative(SRC, target);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      lines.push(`${path.relative(ROOT, file)} imports '${fileName}' (${path.relative(ROOT, target)})`);
    }
  }
  return lines;
}

describe('the course wing (src/) imports nothing from the machinery or the programs', () => {
  it('finds the files it checks, and the imports in them', () => {
    const files = tsFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    // The checker itself: a planted import is caught in every form, a mention in a comment or a string is not.
    const planted = [
      "import { saveCheckpoint } from '../runtime/checkpoint';",
      "import type { ScriptContext } from '../scripts/lib/cli';",
      "export { check } from '../learn/check';",
      "const web = require('../web/trainer');",
      "const later = import('../bench/harness');",
      "// import { x } from '../runtime/x';",
      "const s = \"from '../runtime/y'\";",
      "import { Rng } from './random';",
      "import * as tf from '@tensorflow/tfjs-core';",
    ].join('\n');
    expect(importsLeavingSrc(path.join(SRC, 'planted.ts'), planted)).toEqual([
      "src/planted.ts imports '../runtime/checkpoint' (runtime/checkpoint)",
      "src/planted.ts imports '../scripts/lib/cli' (scripts/lib/cli)",
      "src/planted.ts imports '../learn/check' (learn/check)",
      "src/planted.ts imports '../web/trainer' (web/trainer)",
      "src/planted.ts imports '../bench/harness' (bench/harness)",
    ]);
  });

  it('no file under src/ imports outside src/ (see docs/architecture.md)', () => {
    const leaving = tsFiles(SRC).flatMap((f) => importsLeavingSrc(f, fs.readFileSync(f, 'utf8')));
    if (leaving.length > 0) {
      throw new Error(
        `the course wing imports outside src/ (src/ holds the course; machinery goes to runtime/ and reaches the Solver through its hooks, docs/architecture.md):\n  ${leaving.join('\n  ')}`,
      );
    }
  });
});
