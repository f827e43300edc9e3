/** Bytes per second over the last few seconds of progress reports, and the time left at that pace. */
export class TransferRate {
  private samples: Array<{ at: number; bytes: number }> = []

  constructor(private readonly windowMs = 5000) {}

  /** Records `bytes` done at time `at` (ms). A count that goes back (a new file) starts over. */
  sample(at: number, bytes: number): void {
    const last = this.samples[this.samples.length - 1]
    if (last && bytes < last.bytes) this.samples = []
    this.samples.push({ at, bytes })
    // Keep one sample older than the window so the span never collapses to nothing.
    while (this.samples.length > 2 && (this.samples[1]?.at ?? at) <= at - this.windowMs) this.samples.shift()
  }

  /** Bytes per second, or undefined before two reports some time apart. */
  get bytesPerSecond(): number | undefined {
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    if (!first || !last || last.at <= first.at) return undefined
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at)
  }

  /** Seconds until `total` at the current pace, or undefined when the pace is unknown or zero. */
  secondsLeft(total: number | undefined): number | undefined {
    const speed = this.bytesPerSecond
    const last = this.samples[this.samples.length - 1]
    if (total === undefined || !last || !speed || speed <= 0) return undefined
    return Math.max(0, (total - last.bytes) / speed)
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** `1.5 MiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`
}

/** `45 s`, `3 min 5 s`, `1 h 2 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}
