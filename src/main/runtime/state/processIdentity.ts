import { readFile } from 'node:fs/promises'

/** A process told apart from a later one that reuses its pid. */
export interface ProcessIdentity {
  pid: number
  /** Field 22 of /proc/<pid>/stat: clock ticks from boot to the process's start. */
  startTime?: string
}

interface ProcStat {
  state: string
  startTime: string
}

async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const state = fields[0]
  const startTime = fields[22 - 3]
  return state && startTime ? { state, startTime } : undefined
}

export async function processStartTime(pid: number): Promise<string | undefined> {
  return (await readProcStat(pid))?.startTime
}

let procfs: Promise<boolean> | undefined
const hasProcfs = (): Promise<boolean> => (procfs ??= readProcStat(process.pid).then((s) => s !== undefined))

/** Whether that very process still runs: a zombie or a new process under the same pid does not count. */
export async function isProcessAlive(owner: ProcessIdentity): Promise<boolean> {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false
  if (!(await hasProcfs())) {
    // Without /proc only the pid can be checked; EPERM still means someone runs under it.
    try {
      process.kill(owner.pid, 0)
      return true
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM'
    }
  }
  const stat = await readProcStat(owner.pid)
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false
  return owner.startTime === undefined || owner.startTime === stat.startTime
}

export async function currentProcess(): Promise<ProcessIdentity> {
  const startTime = await processStartTime(process.pid)
  return startTime === undefined ? { pid: process.pid } : { pid: process.pid, startTime }
}
