/**
 * The controls panel: the model and its fields (as the learner left them, a refused one marked), the buttons
 * (enabled by what the machine allows in its phase), the model's one-line description, and the page's message
 * lines: the notice (the address, the backend), the refusal, the stop, the failure.
 */
import { UPDATE_RULE_NAMES } from '../../src/optim';
import { NUMERIC_FIELDS, type NumericField } from '../fields';
import { can, EXPLORE_ONLY, type PageState } from '../machine';
import { MODEL_NAMES, MODELS } from '../models';
import { byId, setText } from './dom';

const FIELD_IDS: Record<NumericField, string> = {
  learningRate: 'learning-rate',
  reg: 'reg',
  batchSize: 'batch-size',
  hiddenDim: 'hidden-dim',
  numFilters: 'num-filters',
  filterSize: 'filter-size',
};

export const controls = {
  model: byId<HTMLSelectElement>('model'),
  updateRule: byId<HTMLSelectElement>('update-rule'),
  fields: Object.fromEntries(NUMERIC_FIELDS.map((f) => [f, byId<HTMLInputElement>(FIELD_IDS[f])])) as Record<NumericField, HTMLInputElement>,
  backendChoice: byId<HTMLSelectElement>('backend-choice'),
  start: byId<HTMLButtonElement>('start'),
  pause: byId<HTMLButtonElement>('pause'),
  reset: byId<HTMLButtonElement>('reset'),
  save: byId<HTMLButtonElement>('save-model'),
  load: byId<HTMLInputElement>('load-model'),
  fileNote: byId<HTMLSpanElement>('file-note'),
  description: byId<HTMLParagraphElement>('model-description'),
  exploreNote: byId<HTMLParagraphElement>('explore-note'),
  notice: byId<HTMLDivElement>('notice'),
  error: byId<HTMLDivElement>('error'),
};

/** Fills the selects once. */
export function setUpControls(): void {
  for (const name of MODEL_NAMES) controls.model.add(new Option(MODELS[name].label, name));
  for (const rule of UPDATE_RULE_NAMES) controls.updateRule.add(new Option(rule, rule));
}

/** The message line: a failure, else the stop, else a refusal. */
export function messageLine(s: PageState): { text: string; kind: 'error' | 'stop' | 'refusal' } | null {
  if (s.error) return { text: s.error, kind: 'error' };
  if (s.stop) return { text: s.stop.message, kind: 'stop' };
  if (s.refusal) return { text: s.refusal.message, kind: 'refusal' };
  return null;
}

export function renderControls(s: PageState): void {
  const c = controls;
  // While a model of `npm run train` is explored, the select shows it as its own entry, so that choosing any page
  // model (the one the fields still name included) is a change that builds it.
  const exploreOption = c.model.querySelector<HTMLOptionElement>('option[value="explore"]');
  if (s.explore) {
    // Short enough for the select on a phone: the note under the controls says what exploring means.
    const label = `${s.explore.model.kind} (explore)`;
    const option = exploreOption ?? c.model.appendChild(new Option(label, 'explore'));
    setText(option, label);
    if (c.model.value !== 'explore') c.model.value = 'explore';
  } else {
    exploreOption?.remove();
    if (c.model.value !== s.fields.model) c.model.value = s.fields.model;
  }
  if (c.updateRule.value !== s.fields.updateRule) c.updateRule.value = s.fields.updateRule;
  for (const f of NUMERIC_FIELDS) {
    const input = c.fields[f];
    // The field being typed in keeps what the learner types.
    if (document.activeElement !== input && input.value !== s.fields.text[f]) input.value = s.fields.text[f];
    if (s.refusal?.field === f) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  const allowed = can(s);
  const uses: readonly string[] = s.explore ? [] : MODELS[s.fields.model].uses;
  for (const [field, id] of [['hiddenDim', 'hidden-dim'], ['numFilters', 'num-filters'], ['filterSize', 'filter-size']]) {
    byId(`${id}-field`).hidden = !uses.includes(field);
  }
  for (const f of NUMERIC_FIELDS) c.fields[f].disabled = !allowed.edit;
  c.updateRule.disabled = !allowed.edit;
  c.exploreNote.hidden = s.explore === null;
  setText(c.exploreNote, s.explore ? EXPLORE_ONLY : '');
  const shown = s.backend?.name ?? s.backendChoice;
  if (shown && c.backendChoice.value !== shown) c.backendChoice.value = shown;
  c.start.disabled = !allowed.start;
  c.pause.disabled = !allowed.pause;
  setText(c.pause, s.pausing ? 'Pausing…' : 'Pause');
  c.reset.disabled = !allowed.newWeights;
  c.save.disabled = !allowed.save;
  c.load.disabled = !allowed.load;
  c.backendChoice.disabled = !allowed.backend;
  setText(c.fileNote, s.fileNote ?? '');
  const m = s.model;
  setText(c.description, s.explore ? `${s.explore.model.description}.` : m ? MODELS[m.name].describe(m.hyper) : MODELS[s.fields.model].describe(MODELS[s.fields.model].defaults));
  const notices = [...s.urlRefusals, ...(s.backendNotice ? [s.backendNotice] : [])];
  c.notice.hidden = notices.length === 0;
  setText(c.notice, notices.join('\n'));
  const line = messageLine(s);
  c.error.hidden = line === null;
  c.error.classList.toggle('refusal', line?.kind === 'refusal');
  setText(c.error, line?.text ?? '');
}
