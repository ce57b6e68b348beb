/**
 * Best-score bookkeeping and early stopping for the evaluations of {@link train}.
 *
 * @packageDocumentation
 */

/**
 * Tracks the best evaluation score (higher is better) and the evaluations since it improved. An
 * evaluation improves when its score is strictly above the best so far; `stop` turns true after
 * `patience` evaluations in a row without improvement (never when `patience` is undefined).
 */
export class EarlyStopping {
  /** The best score so far (−∞ before the first evaluation). */
  best = -Infinity;
  /** Evaluations since the last improvement. */
  stale = 0;

  /** @param patience evaluations without improvement before stopping; `past` replays earlier scores (a resumed run's). */
  constructor(
    readonly patience?: number,
    past: readonly number[] = [],
  ) {
    for (const s of past) this.update(s);
  }

  /** Record one score; `improved`: it is the new best; `stop`: patience is exhausted. */
  update(score: number): { improved: boolean; stop: boolean } {
    const improved = score > this.best;
    if (improved) {
      this.best = score;
      this.stale = 0;
    } else {
      this.stale++;
    }
    return { improved, stop: !improved && this.patience !== undefined && this.stale >= this.patience };
  }
}
