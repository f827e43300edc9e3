import { appendFile } from 'node:fs/promises'

/** One line per launch step in the instance's launch log: time, step, what happened. */
export async function appendLaunchStep(path: string, step: string, message: string): Promise<void> {
  await appendFile(path, `${new Date().toISOString()} ${step}: ${message.replace(/\s*\n\s*/g, ' ')}\n`, { mode: 0o600 })
}
