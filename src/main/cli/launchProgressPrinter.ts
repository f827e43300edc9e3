import type { TaskInfo } from '../../shared/api/tasks'
import { formatSize } from '../../shared/sizes'
import { escapeControls } from '../../shared/terminalText'

const DOWNLOAD_LINE_EVERY_MS = 1_000

/** What a step line needs: a running task's step, message and bytes. */
export type TaskProgress = Pick<TaskInfo, 'step' | 'message' | 'bytes' | 'totalBytes' | 'percent'>

/**
 * Prints launch steps to stderr, one line each; a download prints a line at most once a second
 * with its bytes and percentage, and one when it completes. An update with no message (the
 * task's first state) prints nothing.
 */
export function launchProgressPrinter(write: (line: string) => void = (line) => void process.stderr.write(line)): (p: TaskProgress) => void {
  let lastDownloadLine = 0
  return (p) => {
    if (p.message === undefined) return
    if (p.bytes === undefined) {
      write(`bpvm: [${p.step}] ${escapeControls(p.message)}\n`)
      return
    }
    const now = Date.now()
    const done = p.totalBytes !== undefined && p.bytes >= p.totalBytes
    if (!done && now - lastDownloadLine < DOWNLOAD_LINE_EVERY_MS) return
    lastDownloadLine = now
    const total = p.totalBytes === undefined ? '' : ` of ${formatSize(p.totalBytes)}`
    const percent = p.percent === undefined ? '' : ` (${Math.floor(p.percent)} %)`
    write(`bpvm: [${p.step}] ${escapeControls(p.message)}: ${formatSize(p.bytes)}${total}${percent}\n`)
  }
}
