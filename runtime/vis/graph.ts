/**
 * A circuit of gates as a picture, the way the backprop lecture draws one: gates as circles ('+', '*', 'max'),
 * every wire labelled with its forward value above (green) and its backward gradient d f / d wire below (red).
 *
 * Drawn with the charts' own pipeline (runtime/vis/chart.ts: a vega-lite spec -> SVG -> PNG): the nodes and wires
 * are data rows on two hidden linear axes, so nothing here draws pixels by hand.
 *
 *   await writeChart('runs/topics/circuit.png', circuitPanel(circuit, circuitBackward(circuit)));
 */
import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };
import { Circuit, CircuitPass } from '../../src/circuit';
import type { ChartPanel } from './chart';

const FONT = 'DejaVu Sans';
const FORWARD_COLOR = '#2a8a2a';
const BACKWARD_COLOR = '#c62828';
/** Pixels per layout unit: columns are gates' depths, rows the inputs' order. */
const COLUMN_PX = 150;
const ROW_PX = 90;
const MARGIN_PX = 60;
const TITLE_PX = 60;

/** A node at layout coordinates (column, row): a gate (drawn as a circle) or a wire's name at an end (text). */
interface LayoutNode {
  id: string;
  label: string;
  col: number;
  row: number;
  gate: boolean;
}

/** A wire from one node to another, with the wire's value and gradient. */
interface LayoutEdge {
  from: string;
  to: string;
  value: number;
  grad: number;
}

/** Three significant digits, without trailing zeros: -4, 0.125, 1.23e-5. */
function short(v: number): string {
  return String(Number(v.toPrecision(3)));
}

const SYMBOL: Record<string, string> = { add: '+', mul: '*', max: 'max' };

/**
 * The circuit's layout: inputs in column 0 in their order, each gate one column right of its deepest input and at
 * the mean row of its inputs, and the output's name one column right of the last gate.
 */
function layout(c: Circuit, pass: CircuitPass): { nodes: LayoutNode[]; edges: LayoutEdge[] } {
  const nodes: LayoutNode[] = Object.keys(c.inputs).map((name, i) => ({ id: `in:${name}`, label: name, col: 0, row: i, gate: false }));
  const at = new Map<string, LayoutNode>(nodes.map((n) => [n.label, n]));
  const edges: LayoutEdge[] = [];
  for (const g of c.gates) {
    const a = at.get(g.a)!;
    const b = at.get(g.b)!;
    const node = { id: `gate:${g.out}`, label: SYMBOL[g.op], col: Math.max(a.col, b.col) + 1, row: (a.row + b.row) / 2, gate: true };
    nodes.push(node);
    for (const w of [g.a, g.b]) edges.push({ from: at.get(w)!.id, to: node.id, value: pass.value[w], grad: pass.grad[w] });
    at.set(g.out, node);
  }
  const last = at.get(pass.output)!;
  const end = { id: `out:${pass.output}`, label: pass.output, col: last.col + 1, row: last.row, gate: false };
  nodes.push(end);
  edges.push({ from: last.id, to: end.id, value: pass.value[pass.output], grad: pass.grad[pass.output] });
  return { nodes, edges };
}

/**
 * The circuit with every wire's forward value and backward gradient (from circuitBackward) as a ChartPanel for
 * writeChart or multiChart. Inputs are named at the left, the output at the right.
 */
export function circuitPanel(c: Circuit, pass: CircuitPass): ChartPanel {
  const { nodes, edges } = layout(c, pass);
  const cols = Math.max(...nodes.map((n) => n.col));
  const rows = Math.max(...nodes.map((n) => n.row));
  const width = cols * COLUMN_PX + 2 * MARGIN_PX;
  const height = Math.max(rows * ROW_PX + 2 * MARGIN_PX, 200);
  // Pixel coordinates, y down; the scales below map them one to one.
  const px = (n: LayoutNode) => ({ x: MARGIN_PX + n.col * COLUMN_PX, y: MARGIN_PX + n.row * ROW_PX });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const edgeRows = edges.map((e) => {
    const a = px(byId.get(e.from)!);
    const b = px(byId.get(e.to)!);
    // Wires start at a name's right edge and stop at a gate's rim, so that the arrowhead stays visible.
    const len = Math.hypot(b.x - a.x, b.y - a.y);
    const [ux, uy] = [(b.x - a.x) / len, (b.y - a.y) / len];
    const trimStart = byId.get(e.from)!.gate ? 20 : 14;
    const trimEnd = byId.get(e.to)!.gate ? 22 : 14;
    const x = a.x + ux * trimStart;
    const y = a.y + uy * trimStart;
    const x2 = b.x - ux * trimEnd;
    const y2 = b.y - uy * trimEnd;
    return {
      x, y, x2, y2,
      // Labels 40% along the wire: wires that meet at a gate are still apart there.
      mx: x + 0.4 * (x2 - x),
      my: y + 0.4 * (y2 - y),
      angle: (Math.atan2(uy, ux) * 180) / Math.PI + 90,
      value: short(e.value),
      grad: short(e.grad),
    };
  });
  const nodeRows = nodes.map((n) => ({ ...px(n), label: n.label, gate: n.gate }));
  const x = (field: string) => ({ field, type: 'quantitative' as const, scale: { domain: [0, width], nice: false, zero: false }, axis: null });
  const y = (field: string) => ({ field, type: 'quantitative' as const, scale: { domain: [height, 0], nice: false, zero: false }, axis: null });
  // The title takes about TITLE_PX above the drawing; 'fit' keeps the PNG at exactly the panel's size.
  const panelHeight = height + TITLE_PX;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    autosize: { type: 'fit' as const, contains: 'padding' as const },
    title: { text: c.name, subtitle: 'green: the wire\'s forward value  ·  red: its gradient d f / d wire', subtitleColor: '#444444' },
    width,
    height: panelHeight,
    padding: 8,
    config: { font: FONT, background: 'white', view: { stroke: null }, title: { fontSize: 16, fontWeight: 'bold' as const, subtitleFontSize: 12 } },
    layer: [
      { data: { values: edgeRows }, mark: { type: 'rule' as const, strokeWidth: 1.6, color: '#555555' }, encoding: { x: x('x'), y: y('y'), x2: { field: 'x2' }, y2: { field: 'y2' } } },
      {
        data: { values: edgeRows },
        mark: { type: 'point' as const, shape: 'triangle-up', filled: true, size: 60, color: '#555555', opacity: 1 },
        encoding: { x: x('x2'), y: y('y2'), angle: { field: 'angle', type: 'quantitative' as const, scale: null } },
      },
      {
        data: { values: edgeRows },
        mark: { type: 'text' as const, dy: -11, fontSize: 14, fontWeight: 'bold' as const, color: FORWARD_COLOR },
        encoding: { x: x('mx'), y: y('my'), text: { field: 'value' } },
      },
      {
        data: { values: edgeRows },
        mark: { type: 'text' as const, dy: 13, fontSize: 14, fontWeight: 'bold' as const, color: BACKWARD_COLOR },
        encoding: { x: x('mx'), y: y('my'), text: { field: 'grad' } },
      },
      {
        data: { values: nodeRows.filter((n) => n.gate) },
        mark: { type: 'point' as const, shape: 'circle', size: 1500, filled: true, color: '#e8eef7', stroke: '#335588', strokeWidth: 1.6, opacity: 1 },
        encoding: { x: x('x'), y: y('y') },
      },
      { data: { values: nodeRows }, mark: { type: 'text' as const, fontSize: 15 }, encoding: { x: x('x'), y: y('y'), text: { field: 'label' } } },
    ],
  };
  return { spec: spec as unknown as TopLevelSpec, width, height: panelHeight };
}
