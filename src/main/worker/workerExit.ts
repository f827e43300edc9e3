/** How a runtime worker ended, as much as its host can tell. */
export interface WorkerExit {
  /** The exit status; under Electron, a signal's number when a signal ended it. */
  code: number | null
  /** The signal that ended it, where the host says so (Node's child processes). */
  signal?: string | null
  /** What an Electron utility process reported (its 'error' event) before a V8 fatal error ended it. */
  fatalError?: string
}

// Electron reports a utility process ended by a signal with the signal's number as its code (and
// 0 when Electron itself killed it). These are the signals that end a worker from outside; the
// worker never exits with these codes by itself (Node uses 1 for an uncaught exception).
const SIGNAL_CODES: Readonly<Record<number, string>> = { 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' }

/** "the runtime worker <this>", for a worker that ended without being asked to. */
export function describeWorkerExit(exit: WorkerExit): string {
  if (exit.fatalError) return `crashed with a V8 fatal error (${exit.fatalError})`
  if (exit.signal) return `was killed by ${exit.signal}`
  if (exit.code === null) return 'was killed'
  const signal = SIGNAL_CODES[exit.code]
  if (signal) return `was killed by ${signal} (exit code ${exit.code})`
  if (exit.code === 0) return 'exited although nobody asked it to (exit code 0)'
  return `exited with code ${exit.code}`
}
