// How the benches take and show their figures: round 0 apart (it may be cold: first data disk,
// first worker thread, empty page cache), the median over the warm rounds after it.
import { execa } from 'execa'

/** Rounds after round 0; the medians are taken over these. */
export const WARM_ROUNDS = 5

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** Milliseconds `work` took. */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return performance.now() - started
}

/** Writes out every dirty page first, so no contender pays for the one before it. */
export async function settleDisks(): Promise<void> {
  await execa('sync')
}

export interface RoundsRow {
  label: string
  /** One figure per round, round 0 first. */
  samples: number[]
}

export const warmMedian = (row: RoundsRow): number => median(row.samples.slice(1))

/** A markdown table: round 0, the warm median and every warm run of each row. */
export function roundsTable(heading: string, rows: RoundsRow[], digits: number): string {
  const ms = (value: number): string => `${value.toFixed(digits)} ms`
  return [
    `| ${heading} | round 0 (cold) | warm median | warm runs (ms) |`,
    '| --- | ---: | ---: | --- |',
    ...rows.map((row) => `| ${row.label} | ${ms(row.samples[0]!)} | ${ms(warmMedian(row))} | ${row.samples.slice(1).map((v) => v.toFixed(digits)).join(' ')} |`)
  ].join('\n')
}
