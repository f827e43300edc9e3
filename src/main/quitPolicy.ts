import { dialog, type BrowserWindow, type MessageBoxOptions } from 'electron'
import type { InstanceSummary } from '../shared/api'
import type { Result } from '../shared/result'
import type { ApiBackend } from '../service/apiBackend'

export type QuitChoice = 'stop' | 'leave'

/**
 * Asks what to do with the VMs still running; `remember` when "Remember my choice" was ticked.
 * An aborted `signal` closes the question as Escape would: leave them running.
 */
export type AskOnQuit = (running: readonly InstanceSummary[], signal: AbortSignal) => Promise<{ choice: QuitChoice; remember: boolean }>

export interface QuitCaps {
  /** How long the quit waits to learn whether VMs run (a restarting worker could otherwise hold it up). */
  listMs: number
  /** How long reading or saving the onQuit setting may take before the quit goes on without it. */
  settingsMs: number
  /** How long "Stop all" may hold the quit up; VMs still stopping by then are left to finish on their own. */
  stopMs: number
}

const DEFAULT_CAPS: QuitCaps = { listMs: 5_000, settingsMs: 5_000, stopMs: 60_000 }

/** The call's answer, or 'timeout' after `ms` or as soon as `hurry` is aborted (a second Ctrl-C). */
async function within<T>(call: Promise<Result<T>>, ms: number, hurry?: AbortSignal): Promise<Result<T> | 'timeout'> {
  if (hurry?.aborted) return 'timeout'
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms)
    onAbort = () => resolve('timeout')
    hurry?.addEventListener('abort', onAbort, { once: true })
  })
  const outcome = await Promise.race([call, timeout])
  clearTimeout(timer)
  if (onAbort) hurry?.removeEventListener('abort', onAbort)
  return outcome
}

/**
 * Before the app quits: VMs never die with the UI, so they are left running unless the user
 * (now, or once with "Remember my choice" in the `onQuit` setting) asks to stop them.
 * Answers what was done: 'none' when nothing was running.
 */
export async function settleVmsBeforeQuit(
  backend: ApiBackend,
  ask: AskOnQuit,
  caps: QuitCaps = DEFAULT_CAPS,
  hurry: AbortSignal = new AbortController().signal
): Promise<QuitChoice | 'none'> {
  const listed = await within(backend.call('instances:list', undefined), caps.listMs, hurry)
  if (listed === 'timeout' || !listed.ok) {
    console.error('Could not list instances before quitting; leaving them as they are', listed === 'timeout' ? 'no answer' : listed.error)
    return 'none'
  }
  const running = listed.value.filter((instance) => instance.status === 'Running' || instance.status === 'Pending')
  if (running.length === 0) return 'none'

  const settings = await within(backend.call('settings:get', undefined), caps.settingsMs, hurry)
  // Without the setting, the user is asked, as on a first quit.
  const onQuit = settings !== 'timeout' && settings.ok ? settings.value.app.onQuit : 'ask'
  let choice: QuitChoice
  if (hurry.aborted) {
    choice = 'leave'
  } else if (onQuit === 'ask') {
    const answer = await ask(running, hurry)
    choice = hurry.aborted ? 'leave' : answer.choice
    if (answer.remember && !hurry.aborted) {
      const saved = await within(backend.call('settings:update', { app: { onQuit: choice } }), caps.settingsMs, hurry)
      if (saved === 'timeout' || !saved.ok) console.error('Could not remember the quit choice', saved === 'timeout' ? 'no answer' : saved.error)
    }
  } else {
    choice = onQuit
  }

  if (choice === 'stop') {
    const outcome = await within(backend.call('instances:teardownAll', undefined), caps.stopMs, hurry)
    if (outcome === 'timeout') console.error(`Some VMs were still stopping after ${caps.stopMs / 1000} s (or the quit was hurried); quitting anyway`)
    else if (!outcome.ok) console.error('Stopping the VMs failed', outcome.error)
  }
  return choice
}

/** The native question, over the main window when there is one. */
export function askWithMessageBox(parent: () => BrowserWindow | null): AskOnQuit {
  return async (running, signal) => {
    const names = running.map((instance) => instance.name)
    const options: MessageBoxOptions = {
      type: 'question',
      title: 'VMs are running',
      message: names.length === 1 ? `${names[0]} is still running.` : `${names.length} VMs are still running.`,
      detail: `${names.join(', ')}\n\nThey keep running after the app closes; you can stop them later from the app or with \`bpvm down\`.`,
      buttons: ['Stop all', 'Leave running'],
      // Escape, or closing the box, leaves them running: quitting the UI never stops a VM by accident.
      defaultId: 1,
      cancelId: 1,
      checkboxLabel: 'Remember my choice',
      // A second Ctrl-C closes the box as if cancelled (Electron's own option).
      signal
    }
    const window = parent()
    const answer = window ? await dialog.showMessageBox(window, options) : await dialog.showMessageBox(options)
    return { choice: answer.response === 0 ? 'stop' : 'leave', remember: answer.checkboxChecked }
  }
}
