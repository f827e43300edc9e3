import { join } from 'node:path'
import { execa } from 'execa'
import { expect, it } from 'vitest'
import { useLifecycleHost } from '../support/lifecycleHost'
import { lineLog } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { cliCommand, repoRoot } from '../support/runCli'

const LINE = 'websvc: hello from the guest'

const SERVICE = `#!/bin/sh
echo "${LINE}"
trap 'echo "websvc: SIGINT"; exit 0' INT
while :; do sleep 1; done
`

describeAsRoot('bpvm serve end to end (QEMU, TCG, dev guest, in a network namespace)', () => {
  describeWithPrograms(['qemu-system-x86_64', 'qemu-img', 'ip', 'nft', 'apt-get', 'dpkg-deb', 'depmod'], 'a browser launches, follows and tears down a VM over the WebSocket', () => {
    const { home, host, launchArgs, waitForStatus, expectNothingLeft } = useLifecycleHost('serve')

    /** `bpvm serve` inside `ns`, with the test file's home; resolves once it printed its URL. */
    async function serveIn(ns: string) {
      const [node, args] = cliCommand(['serve', '--port', '0'])
      // The server and the runtime worker it starts run inside the namespace, as the browser's stand-in does.
      const server = execa('ip', ['netns', 'exec', ns, node, ...args], { cwd: repoRoot, env: { BPVM_HOME: home }, stdin: 'ignore', buffer: false, reject: false })
      const url = await lineLog(server)
        .waitFor((line) => line.startsWith('http://'), 60_000)
        .catch((error: unknown) => {
          server.kill('SIGKILL')
          throw error
        })
      return { server, url }
    }

    it('launches through the API socket, sees the service line in the guest log, and tears it down leaving nothing', async () => {
      const { ns, work } = await host(SERVICE)
      const { server, url } = await serveIn(ns)
      try {
        const scenario = await execa(
          'ip',
          ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(repoRoot, 'test', 'serve', 'wsScenario.ts'), url, 'websvc', join(work, 'service.sh'), join(work, 'keystore'), LINE],
          { cwd: repoRoot, reject: false, timeout: 600_000 }
        )
        expect(scenario.exitCode, scenario.stderr).toBe(0)
        const summary = JSON.parse(scenario.stdout) as Record<string, unknown>
        expect(summary).toMatchObject({
          task: { kind: 'launch', target: 'websvc', state: 'succeeded' },
          sawServiceLine: true,
          teardown: { name: 'websvc', status: 'Finished', stopped: 'graceful' },
          final: { name: 'websvc', status: 'Finished', phase: 'stopped', vmm: 'qemu', image: expect.stringContaining('dev') }
        })
        expect(summary.steps).toEqual(expect.arrayContaining(['image', 'disks', 'vmm']))
        expect(summary.statusEvents).toContain('ready')

        server.kill('SIGTERM')
        expect((await server).exitCode).toBe(0)
        // No TAP, no rules, no lease, no VMM, no control socket.
        await expectNothingLeft(ns, 'websvc')
      } finally {
        server.kill('SIGKILL')
      }
    }, 900_000)

    it('leaves running VMs running when it stops', async () => {
      const { ns, work, cli } = await host(SERVICE)
      expect((await cli(launchArgs(work, 'stays'))).exitCode).toBe(0)
      await waitForStatus(cli, 'stays', 'Running', 90_000)
      const { server } = await serveIn(ns)
      try {
        server.kill('SIGTERM')
        expect((await server).exitCode).toBe(0)
      } finally {
        server.kill('SIGKILL')
      }
      await waitForStatus(cli, 'stays', 'Running', 1_000)
    }, 300_000)
  })
})
