/**
 * What the notebooks (notebooks/*.ipynb) name, checked against the repository as the docs pages are
 * (spec/support/docs_sync.ts): their markdown cells like a page, and in their code cells every project file they
 * require or import the type of, every course module they load with `nb.course`, every name they take from those
 * modules, every exercise id they check or need, and every helper of notebooks/lib/nb.ts they call.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Repository, Unresolved, checkPage } from './docs_sync';
import { EXERCISES } from '../../learn/manifest';

interface NotebookCell {
  cell_type: string;
  source: string | string[];
}

function sourceOf(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** The names a file exports (functions, classes, consts, types, interfaces, and `export { a, b }` lists). */
function exportsOf(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/export\s+(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|class|const|let|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g)) names.add(m[1]);
  for (const m of text.matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/).pop()?.trim();
      if (name) names.add(name);
    }
  }
  return names;
}

/**
 * Every unresolved name of one notebook. file: its path relative to the repository root; text: its JSON. Code
 * cells run from the project root (the kernel's working folder), so their paths are relative to it. Lines count
 * cells (`line` is the cell's number, from 1, as Jupyter shows them).
 */
export function checkNotebook(repo: Repository, file: string, text: string): Unresolved[] {
  const problems: Unresolved[] = [];
  let cells: NotebookCell[];
  try {
    cells = (JSON.parse(text) as { cells: NotebookCell[] }).cells;
  } catch (err) {
    return [{ page: file, line: 0, name: file, why: `not JSON: ${(err as Error).message}` }];
  }
  const nbText = fs.readFileSync(path.join(repo.root, 'notebooks', 'lib', 'nb.ts'), 'utf8');
  const helpers = exportsOf(nbText);
  const ids = new Set(EXERCISES.map((e) => e.id));
  const exportsCache = new Map<string, Set<string>>();
  const exportsOfFile = (rel: string): Set<string> => {
    if (!exportsCache.has(rel)) exportsCache.set(rel, exportsOf(fs.readFileSync(path.join(repo.root, rel), 'utf8')));
    return exportsCache.get(rel)!;
  };
  cells.forEach((cell, i) => {
    const src = sourceOf(cell);
    const seen = new Set<string>();
    const at = (name: string, why: string): void => {
      if (seen.has(`${name}\n${why}`)) return;
      seen.add(`${name}\n${why}`);
      problems.push({ page: file, line: i + 1, name, why });
    };
    if (cell.cell_type === 'markdown') {
      for (const p of checkPage(repo, file, src)) at(p.name, p.why);
      return;
    }
    if (cell.cell_type !== 'code') return;
    /** A module file the cell names, relative to the root, or undefined after reporting it missing. */
    const moduleFile = (spec: string, what: string): string | undefined => {
      const rel = path.posix.normalize(spec.replace(/^\.\//, ''));
      const candidates = rel.endsWith('.ts') ? [rel] : [`${rel}.ts`, `${rel}/index.ts`];
      const found = candidates.find((c) => repo.hasPath(c));
      if (!found) at(spec, `${what}: no file ${candidates[0]} in the repository`);
      return found;
    };
    // `const { a, b }: typeof import('./x') = ...` and `const { a } = require('./x.ts')`: the file, and each name.
    for (const m of src.matchAll(/const\s*\{([^}]*)\}\s*(?::\s*typeof\s+import\('([^']+)'\))?\s*=\s*(?:require\('([^']+)'\)|nb\.course\('([^']+)'\))/g)) {
      const spec = m[2] ?? m[3] ?? (m[4] !== undefined ? `./src/${m[4]}` : undefined);
      if (spec === undefined || !spec.startsWith('.')) continue;
      const found = moduleFile(spec, 'required');
      if (!found) continue;
      const names = exportsOfFile(found);
      for (const part of m[1].split(',')) {
        const name = part.trim().split(':')[0].trim();
        if (name && !names.has(name)) at(name, `${found} exports no ${name}`);
      }
    }
    for (const m of src.matchAll(/(?:require|import)\('(\.[^']+)'\)/g)) moduleFile(m[1], 'required');
    for (const m of src.matchAll(/nb\.course\('([^']+)'\)/g)) moduleFile(`./src/${m[1]}`, 'nb.course');
    for (const m of src.matchAll(/nb\.(check|needs)\(([^)]*)\)/g)) {
      for (const id of m[2].matchAll(/'([^']+)'/g)) if (!ids.has(id[1])) at(id[1], `nb.${m[1]}: no exercise '${id[1]}' in learn/manifest.ts`);
    }
    for (const m of src.matchAll(/(?<![\w/.])nb\.([A-Za-z_$][\w$]*)/g)) if (!helpers.has(m[1])) at(`nb.${m[1]}`, `notebooks/lib/nb.ts exports no ${m[1]}`);
  });
  return problems;
}
