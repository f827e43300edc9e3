import { dialog, type BrowserWindow, type MessageBoxOptions } from 'electron'
import type { InstanceSummary, SettingsInfo } from '../shared/api'
import type { Result } from '../shared/result'
import type { ApiBackend } from './backend/apiBackend'

export type QuitChoice = 'stop' | 'leave'

/** Asks what to do with the VMs still running; `remember` when "Remember my choice" was ticked. */
export type AskOnQuit = (running: readonly InstanceSummary[]) => Promise<{ choice: QuitChoice; remember: boolean }>

export interface QuitCaps {
  /** How long the quit waits to learn whether VMs run (a restarting worker could otherwise hold it up). */
  listMs: number
  /** How long "Stop all" may hold the quit up; VMs still stopping by then are left to finish on their own. */
  stopMs: number
}

const DEFAULT_CAPS: QuitCaps = { listMs: 5_000, stopMs: 60_000 }

async function within<T>(call: Promise<Result<T>>, ms: number): Promise<Result<T> | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))
  const outcome = await Promise.race([call, timeout])
  clearTimeout(timer)
  return outcome
}

/**
 * Before the app quits: VMs never die with the UI, so they are left running unless the user
 * (now, or once with "Remember my choice" in the `onQuit` setting) asks to stop them.
 * Answers what was done: 'none' when nothing was running.
 */
export async function settleVmsBeforeQuit(backend: ApiBackend, ask: AskOnQuit, caps = DEFAULT_CAPS): Promise<QuitChoice | 'none'> {
  const listed = await within(backend.call('instances:list', undefined), caps.listMs)
  if (listed === 'timeout' || !listed.ok) {
    console.error('Could not list instances before quitting; leaving them as they are', listed === 'timeout' ? 'no answer' : listed.error)
    return 'none'
  }
  const running = (listed.value as InstanceSummary[]).filter((instance) => instance.status === 'Running' || instance.status === 'Pending')
  if (running.length === 0) return 'none'

  const settings = await backend.call('settings:get', undefined)
  const onQuit = settings.ok ? (settings.value as SettingsInfo).app.onQuit : 'ask'
  let choice: QuitChoice
  if (onQuit === 'ask') {
    const answer = await ask(running)
    choice = answer.choice
    if (answer.remember) {
      const saved = await backend.call('settings:update', { app: { onQuit: choice } })
      if (!saved.ok) console.error('Could not remember the quit choice', saved.error)
    }
  } else {
    choice = onQuit
  }

  if (choice === 'stop') {
    const outcome = await within(backend.call('instances:teardownAll', undefined), caps.stopMs)
    if (outcome === 'timeout') console.error(`Some VMs were still stopping after ${caps.stopMs / 1000} s; quitting anyway`)
    else if (!outcome.ok) console.error('Stopping the VMs failed', outcome.error)
  }
  return choice
}

/** The native question, over the main window when there is one. */
export function askWithMessageBox(parent: () => BrowserWindow | null): AskOnQuit {
  return async (running) => {
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
      checkboxLabel: 'Remember my choice'
    }
    const window = parent()
    const answer = window ? await dialog.showMessageBox(window, options) : await dialog.showMessageBox(options)
    return { choice: answer.response === 0 ? 'stop' : 'leave', remember: answer.checkboxChecked }
  }
}
