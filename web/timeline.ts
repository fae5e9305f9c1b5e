/**
 * The session's record, kept by the page across pauses, stops, new weights and backend switches, so that the
 * learner can read cause and effect afterwards: every minibatch loss, every accuracy check and every event (a
 * hyperparameter change, new weights, a backend switch, a stop) on one x axis, the session's iteration.
 *
 * Each model's own iteration counts from 0; the session's iteration of its step i is `base + i`, where base is
 * where the model started (0 for the first, the end of the previous one for each new one).
 */
import { ThinnedSeries } from './charts';

export interface TimelineCheck {
  x: number;
  trainAcc: number;
  valAcc: number;
}

export interface TimelineEvent {
  x: number;
  /** One line: 'lr 1e-4 -> 2e-4', 'new weights: Two-layer net', 'backend wasm -> cpu'. */
  text: string;
}

export class Timeline {
  /** The session's iteration of the current model's iteration 0. */
  base = 0;
  /** The last session iteration recorded. */
  last = 0;
  readonly losses = new ThinnedSeries(400);
  readonly checks: TimelineCheck[] = [];
  readonly events: TimelineEvent[] = [];
  /** Where each model's curve starts: the running mean restarts there, so it never mixes two models. */
  readonly starts: number[] = [];

  /** A step of the current model, at its own iteration `iteration`. */
  addLoss(iteration: number, loss: number): void {
    const x = this.base + iteration;
    this.losses.push(x, loss);
    this.last = Math.max(this.last, x);
  }

  addCheck(iteration: number, trainAcc: number, valAcc: number): void {
    this.checks.push({ x: this.base + iteration, trainAcc, valAcc });
  }

  /** An event at the current model's iteration `iteration`. */
  mark(iteration: number, text: string): void {
    this.events.push({ x: this.base + iteration, text });
  }

  /** A new model starts after everything recorded so far. */
  newModel(): void {
    // After everything recorded, markers included: a stop marked past the last loss comes before new weights.
    const lastEvent = this.events.length > 0 ? this.events[this.events.length - 1].x : 0;
    this.base = Math.max(this.last, lastEvent);
    this.starts.push(this.base);
  }
}

/** What changed between two settings, as the chart's marker reads: 'lr 1e-4 -> 2e-4, batch 200 -> 400'. */
export function describeChange(before: Record<string, string>, after: Record<string, string>): string {
  return Object.keys(after)
    .filter((k) => before[k] !== after[k])
    .map((k) => `${k} ${before[k]} -> ${after[k]}`)
    .join(', ');
}
