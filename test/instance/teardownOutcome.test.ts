import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { teardownOutcome } from '../../src/main/runtime/instance/teardownInstance'
import type { InstanceRecord } from '../../src/main/runtime/instance/instanceRecord'
import { useLifecycleHost } from '../support/lifecycleHost'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { envelope } from '../support/runCli'

// Ignores the power button's SIGINT: only a forced stop ends it.
const STUBBORN = `#!/bin/sh
trap '' INT
echo "stubborn: up"
while :; do sleep 1; done
`

describeAsRoot('a teardown the user asked for is never an Error (QEMU, TCG, dev guest, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft'], 'how a stopped instance ended', () => {
    const lifecycle = useLifecycleHost('teardown-outcome')

    it('still booting, or ignoring the power button until the grace is over: Finished, saying how; a VMM that died by itself: Error', async () => {
      const { work, cli } = await lifecycle.host(STUBBORN)
      const downOf = async (name: string, ...more: string[]) => envelope(await cli(['down', name, '--json', ...more]))

      // Stopped at once, right after the launch (whether the guest had started the service by then depends on the machine's speed).
      expect(envelope(await cli(lifecycle.launchArgs(work, 'early')))).toMatchObject({ ok: true })
      expect(await downOf('early', '--force')).toMatchObject({ ok: true, value: { name: 'early', status: 'Finished', reason: expect.stringMatching(/^forced at once(, before the service started)?$/), stopped: 'killed' } })

      // Running, ignores the power button: forced once the grace (2 s) is over.
      expect(envelope(await cli(lifecycle.launchArgs(work, 'stubborn')))).toMatchObject({ ok: true })
      await lifecycle.waitForStatus(cli, 'stubborn', 'Running', 120_000)
      expect(await downOf('stubborn', '--timeout', '2')).toMatchObject({ ok: true, value: { name: 'stubborn', status: 'Finished', reason: 'forced after 2 s: the guest did not power off', stopped: 'killed' } })

      // A VMM that dies by itself stays an Error.
      expect(envelope(await cli(lifecycle.launchArgs(work, 'crashed')))).toMatchObject({ ok: true })
      await lifecycle.waitForStatus(cli, 'crashed', 'Running', 120_000)
      const row = (await lifecycle.listRows(cli)).find((r) => r.name === 'crashed')
      const record = JSON.parse(await readFile(join(lifecycle.instanceDir('crashed'), 'instance.json'), 'utf8')) as { process: { pid: number } }
      expect(row?.status).toBe('Running')
      process.kill(record.process.pid, 'SIGKILL')
      expect(await downOf('crashed')).toMatchObject({ ok: true, value: { name: 'crashed', status: 'Error', reason: 'the VMM exited while the service was running', stopped: 'already' } })
    }, 600_000)
  })
})

describe('how a teardown names its outcome', () => {
  const record = { name: 'x', phase: 'running' } as InstanceRecord
  const booting = { status: 'Pending' as const, reason: 'the guest is booting', since: '' }

  it('a VM stopped before its service started ended Finished, saying so and how', async () => {
    expect(await teardownOutcome(record, 'killed', booting, 0)).toEqual({ status: 'Finished', reason: 'forced at once, before the service started' })
    expect(await teardownOutcome(record, 'killed', booting, 30_000)).toEqual({ status: 'Finished', reason: 'forced after 30 s: the guest did not power off, before the service started' })
    expect(await teardownOutcome(record, 'graceful', booting, 30_000)).toEqual({ status: 'Finished', reason: 'stopped by the power button, before the service started' })
  })

  it('one that had ended by itself just before keeps its own outcome, Error included', async () => {
    const failed = { status: 'Error' as const, reason: 'the service exited with status 3', since: '' }
    expect(await teardownOutcome(record, 'graceful', failed, 30_000)).toEqual({ status: 'Error', reason: 'the service exited with status 3' })
  })
})
