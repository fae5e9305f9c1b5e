/**
 * `npm run exercises -- <command>`: the learner's workspace.
 *   init        writes every exercise file that does not exist yet (stubs); never overwrites
 *   typecheck   type-checks the workspace against the project
 *   list        the exercises in the course's order, with their files and explanations
 * The workspace is --dir, else CS231N_EXERCISES_DIR, else exercises/ at the project root.
 * `init --solutions` writes the solutions instead of stubs (what the specs check the checks with).
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { WorkspaceError, checkWorkspaceDir, workspaceDir } from './impl';
import { EXERCISES } from './manifest';
import { checkCommand } from './next_step';
import { initWorkspace, typecheckWorkspace } from './workspace';

const program = new Command('exercises').description('the exercise workspace').option('--dir <dir>', 'the workspace (default: CS231N_EXERCISES_DIR, else exercises/)');
const dirOf = (): string => {
  const d = program.opts<{ dir?: string }>().dir;
  return d ? path.resolve(d) : workspaceDir();
};

program
  .command('init')
  .description('write every missing exercise file, each exercise a stub; never overwrite a file')
  .option('--solutions', "write the library's solutions instead of stubs")
  .action((o: { solutions?: boolean }) => {
    const dir = dirOf();
    const r = initWorkspace(dir, o.solutions === true);
    for (const f of r.written) console.log(`  wrote  ${path.join(dir, f)}`);
    if (r.kept.length > 0) console.log(`  kept ${r.kept.length} existing file(s) as they are`);
    console.log(`${EXERCISES.length} exercises in ${dir}. Next: \`${checkCommand(dir)}\`; the guide is docs/exercises.md.`);
  });

program
  .command('typecheck')
  .description('type-check the workspace against the project')
  .action(() => {
    const dir = dirOf();
    checkWorkspaceDir(dir, program.opts<{ dir?: string }>().dir !== undefined ? `--dir ${dir}` : 'the workspace');
    const errors = typecheckWorkspace(dir);
    errors.forEach((e) => console.error(e));
    console.log(errors.length === 0 ? 'the workspace type-checks' : `${errors.length} type error(s)`);
    process.exitCode = errors.length === 0 ? 0 : 1;
  });

program
  .command('list')
  .description('the exercises in the course order')
  .action(() => {
    for (const e of EXERCISES) console.log(`${e.assignment} ${e.notebook.padEnd(26)} ${e.id.padEnd(28)} ${e.file.padEnd(30)} docs/${e.doc}`);
  });

try {
  program.parse();
} catch (err) {
  // A refused workspace (a file as --dir, a broken link, a FIFO) is one line, not a stack trace.
  if (!(err instanceof WorkspaceError)) throw err;
  console.error(`exercises: ${err.message}`);
  process.exit(2);
}
