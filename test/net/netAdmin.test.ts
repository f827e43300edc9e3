import { describe, expect, it } from 'vitest'
import { netAdminRequired, statusHasNetAdmin } from '../../src/main/runtime/net/netAdmin'
import { envelope, runCli } from '../support/runCli'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'

const status = (capEff: string): string => `Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t${capEff}\nCapBnd:\t000001ffffffffff\n`

describe('CAP_NET_ADMIN detection', () => {
  it('reads bit 12 of the effective set', () => {
    expect(statusHasNetAdmin(status('000001ffffffffff'))).toBe(true)
    expect(statusHasNetAdmin(status('0000000000001000'))).toBe(true)
    expect(statusHasNetAdmin(status('000001ffffffefff'))).toBe(false)
    expect(statusHasNetAdmin(status('0000000000000000'))).toBe(false)
    expect(statusHasNetAdmin('Name:\tnode\n')).toBe(false)
  })

  it('says how to grant the capability', () => {
    const error = netAdminRequired('Creating tap-tngl-1')
    expect(error.code).toBe('NET_ADMIN_REQUIRED')
    expect(error.message).toMatch(/^Creating tap-tngl-1 needs the CAP_NET_ADMIN capability: run bpvm as root, or .*setcap cap_net_admin\+ep /)
  })
})

// capsh drops the capability from the bounding set, so even root runs the CLI without it.
const withoutNetAdmin = ['capsh', '--drop=cap_net_admin', '--', '-c', 'exec "$0" "$@"']

describeAsRoot('with CAP_NET_ADMIN dropped', () => {
  describeWithPrograms(['capsh'], 'the CLI', () => {
    it('doctor reports the capability missing, with the fix', async () => {
      const run = await runCli(['doctor', '--json'], { prefix: withoutNetAdmin })
      const report = envelope(run).value as { host: Array<{ id: string; ok: boolean; fix?: string }> }
      const check = report.host.find((c) => c.id === 'net-admin')
      expect(check?.ok).toBe(false)
      expect(check?.fix).toMatch(/setcap cap_net_admin\+ep/)
    })

    it('net cleanup refuses before changing anything, naming the capability', async () => {
      const run = await runCli(['net', 'cleanup'], { prefix: withoutNetAdmin })
      expect(run.exitCode).toBe(1)
      expect(run.stderrLines).toHaveLength(1)
      expect(run.stderr).toMatch(/^bpvm: .*needs the CAP_NET_ADMIN capability: run bpvm as root/)
    })
  })
})
