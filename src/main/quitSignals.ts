/** What the signals that end a terminal-started app do, in the order they arrive. */
export interface QuitSignalActions {
  /** The first: quit as the app's own Quit does (the VM question, the worker closed in order). */
  quit(): void
  /** A second while that runs: close the question as "Leave running" and stop waiting on VMs. */
  hurry(): void
  /** A third: exit now. */
  exitNow(): void
}

export const QUIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * Takes Ctrl-C, SIGTERM and SIGHUP over from Chromium, whose own handler quits on the first and
 * restores the default on the second, so a second Ctrl-C during the quit question killed the
 * app without closing the runtime worker. Call once the app is ready: Chromium has installed
 * its handlers by then, and these replace them.
 */
export function handleQuitSignals(actions: QuitSignalActions, target: Pick<NodeJS.Process, 'on'> = process): void {
  let received = 0
  const onSignal = (): void => {
    received++
    if (received === 1) actions.quit()
    else if (received === 2) actions.hurry()
    else actions.exitNow()
  }
  for (const signal of QUIT_SIGNALS) target.on(signal, onSignal)
}
