/**
 * cloud-init's own lines on a guest's serial console (its units write to journal+console), as
 * the host reads them: that it finished, and every module or stage that failed and every
 * warning it logged, so a failure is pointed at instead of hidden in a long boot log.
 */

export type CloudInitLine = { kind: 'finished' } | { kind: 'failed' | 'warning'; text: string }

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g

export function parseCloudInitLine(raw: string): CloudInitLine | undefined {
  if (!raw.includes('cloud-init')) return undefined
  const line = raw.replace(ANSI, '').replace(/\r$/, '')
  // Only what cloud-init itself printed (`cloud-init[pid]: …`), never a service's own output.
  const said = /cloud-init\[\d+\]: (.*)$/.exec(line)?.[1]
  if (said === undefined) return undefined
  if (/^Cloud-init v\. \S+ finished at /.test(said)) return { kind: 'finished' }
  const module = /Running module (\S+) \(.*\) failed/.exec(said)
  if (module) return { kind: 'failed', text: `module ${module[1]} failed` }
  const stage = /^failed run of stage (\S+)/.exec(said)
  if (stage) return { kind: 'failed', text: `stage ${stage[1]} failed` }
  const logged = / - \S+\.py\[(WARNING|ERROR|CRITICAL)\]: (.*)$/.exec(said)
  if (logged) return { kind: 'warning', text: logged[2]!.trim() }
  return undefined
}
