/** Small DOM helpers the views share. */

export function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`playground: the page has no element #${id}`);
  return e as T;
}

/** A new element with its class and text. */
export function make<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

/** Sets an element's text only when it changed (a redraw per frame must not reset selections or layout). */
export function setText(e: HTMLElement, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

/** A number short enough for a table cell, never split across lines by the browser (see styles.css .num). */
export function sci(v: number, digits = 2): string {
  return v.toExponential(digits).replace('e+', 'e');
}
