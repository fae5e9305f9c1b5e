/** The gradient check: one row per parameter, hand-written against autodiff or float64 centred differences. */
import type { GradCheckMode } from '../gradient_check';
import { can, type PageState } from '../machine';
import { byId, make, sci, setText } from './dom';

export const gradcheckUi = {
  button: byId<HTMLButtonElement>('gradcheck'),
  mode: byId<HTMLSelectElement>('gradcheck-mode'),
  plant: byId<HTMLInputElement>('plant-bug'),
  table: byId<HTMLTableElement>('gradcheck-table'),
  caption: byId<HTMLElement>('gradcheck-caption'),
};

export function gradcheckRequest(): { mode: GradCheckMode; plant: boolean } {
  return { mode: gradcheckUi.mode.value as GradCheckMode, plant: gradcheckUi.plant.checked };
}

let drawn: unknown = undefined;
const INTRO = gradcheckUi.caption.textContent?.trim().replace(/\s+/g, ' ') ?? '';

export function renderGradcheck(s: PageState): void {
  const g = s.gradCheck;
  const ui = gradcheckUi;
  ui.button.disabled = !can(s).gradcheck;
  const key = g.pending ? 'pending' : (g.result ?? g.error);
  if (key === drawn) return;
  drawn = key;
  if (g.pending) {
    setText(ui.caption, 'Checking…');
    return;
  }
  if (g.error) {
    ui.table.replaceChildren();
    setText(ui.caption, `The gradient check failed: ${g.error}`);
    return;
  }
  const r = g.result;
  if (!r) {
    // New weights: the last check was of the old ones.
    ui.table.replaceChildren();
    setText(ui.caption, INTRO);
    return;
  }
  const head = make('tr');
  for (const h of ['parameter', 'shape', '||grad||', 'relative error', '']) head.append(make('th', '', h));
  const rows = r.rows.map((row) => {
    const tr = make('tr');
    const planted = row.param === r.planted ? ' (bug planted)' : '';
    const cells = [row.param + planted, `[${row.shape.join(', ')}]`, sci(row.norm), sci(row.relError), row.pass ? 'ok' : 'too large'];
    cells.forEach((c, i) => tr.append(make('td', i === 4 ? (row.pass ? 'pass' : 'fail') : i === 2 || i === 3 ? 'num' : '', c)));
    return tr;
  });
  ui.table.replaceChildren(head, ...rows);
  const what =
    r.mode === 'autodiff'
      ? `Relative error = ||hand - autodiff|| / max(||hand||, ||autodiff||): both compute the same float32 maths, so they agree to about 1e-7; ` +
        `above ${sci(r.bound, 0)} a backward pass is wrong, not merely rounded.`
      : `Centred differences (L(w + h d) - L(w - h d)) / 2h along each parameter's hand-written gradient d, with the loss recomputed in ` +
        `float64 by plain loops, against that gradient's length: correct code agrees to about 1e-7 at any point of training, a wrong sign ` +
        `reads 2; the bound is ${sci(r.bound, 0)}.`;
  const planted = r.planted
    ? ` A bug is planted: ${r.planted}'s gradient has its sign flipped, as a wrong sign in that layer's backward pass would; its row fails.`
    : '';
  setText(ui.caption, `${r.examples} training images at iteration ${g.iteration}, loss ${r.loss.toFixed(3)}, on ${r.backend}. ${what}${planted}`);
}
