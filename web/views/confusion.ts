/** The confusion matrix of the latest accuracy check's validation images: rows the true class, columns the predicted. */
import type { PageState } from '../machine';
import { byId, make, setText } from './dom';

const ui = {
  table: byId<HTMLTableElement>('confusion'),
  caption: byId<HTMLSpanElement>('confusion-caption'),
};

let drawn: number[][] | null = null;

export function renderConfusion(s: PageState): void {
  const matrix = s.slow?.confusion ?? null;
  if (matrix === drawn) return;
  drawn = matrix;
  if (!matrix) {
    ui.table.replaceChildren();
    setText(ui.caption, 'after the first accuracy check');
    return;
  }
  const names = s.classNames;
  const head = make('tr');
  head.append(make('th', '', 'true ↓'));
  for (const n of names) head.append(Object.assign(make('th', '', n.slice(0, 3)), { title: n, scope: 'col' }));
  const rows = matrix.map((row, i) => {
    const tr = make('tr');
    tr.append(Object.assign(make('th', '', names[i]), { scope: 'row' }));
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, j) => {
      const td = make('td', '', String(count));
      td.title = `${names[i]} predicted as ${names[j]}: ${count} of ${total}`;
      const share = count / total;
      td.style.background = i === j ? `rgba(46, 139, 61, ${share.toFixed(2)})` : `rgba(179, 38, 30, ${Math.min(1, 2 * share).toFixed(2)})`;
      if (share > 0.5) td.style.color = '#fff';
      tr.append(td);
    });
    return tr;
  });
  ui.table.replaceChildren(head, ...rows);
  const n = matrix.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
  setText(ui.caption, `${n} validation images at iteration ${s.slow?.confusionIteration ?? 0}`);
}
