import { existsSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeEach, expect, it } from 'vitest'
import { buildServiceDisk } from '../../src/main/runtime/disk/serviceDisk'
import type { ServiceArgsInput, ServiceEnvInput } from '../../src/main/runtime/disk/serviceEnv'
import { extractFat, fatInspectPrograms } from '../support/fatInspect'
import { ECHO_SERVICE, runLaunch } from '../support/launchRunner'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'
import { HOSTILE_VALUES } from './hostileValues'

const env: ServiceEnvInput = {
  httpRpcUrl: 'http://172.30.0.1:9944/rpc?a=1&b=2',
  wsRpcUrl: 'ws://172.30.0.1:9944',
  blueprintId: '18446744073709551615',
  serviceId: 3,
  protocol: 'tangle',
  registration: true,
  extraEnv: HOSTILE_VALUES.map((value, i) => [`HOSTILE_${i}`, value])
}

// Every hostile value once as a key (where a key is allowed) and once as a value.
const args: ServiceArgsInput = {
  testMode: true,
  pretty: true,
  verbosity: 3,
  dryRun: true,
  extraArgs: HOSTILE_VALUES.map((value, i): [string, string] => [value === '' ? '--empty-key-stand-in' : value, HOSTILE_VALUES.at(-1 - i) ?? ''])
}

const shells = ['/bin/sh', '/bin/bash'].filter((shell) => existsSync(shell))

describeWithPrograms(['unshare', 'mount', 'env', ...fatInspectPrograms], 'the generated /launch, run from a real service disk', () => {
  describeAsRoot('in a private mount namespace with the disk on /srv', () => {
    const tempDir = useTempDirs()
    // The file an escaped value would create; a leftover would fail the check below.
    beforeEach(() => rm('/tmp/bpvm-pwned', { force: true }))

    async function buildAndExtract(): Promise<string> {
      const work = await tempDir()
      const binary = join(work, 'echo-service')
      await writeFile(binary, ECHO_SERVICE, { mode: 0o755 })
      const image = join(work, 'service.img')
      await buildServiceDisk({ binary, env, args, out: image })
      const extracted = join(work, 'extracted')
      await mkdir(extracted)
      await extractFat(image, extracted)
      return extracted
    }

    it.each(shells)('hands every argument and variable to the service byte for byte (%s)', async (shell) => {
      const { argv, env: seen } = await runLaunch(await buildAndExtract(), shell)

      expect(argv).toEqual(['run', '--test-mode', '--pretty', '-vvv', '--dry-run', ...(args.extraArgs ?? []).flat()])
      HOSTILE_VALUES.forEach((value, i) => expect(seen.get(`HOSTILE_${i}`), `HOSTILE_${i}`).toBe(value))
      expect(seen.get('HTTP_RPC_URL')).toBe('http://172.30.0.1:9944/rpc?a=1&b=2')
      expect(seen.get('BLUEPRINT_ID')).toBe('18446744073709551615')
      expect(seen.get('DATA_DIR')).toBe('/mnt/data')
      expect(seen.get('KEYSTORE_URI')).toBe('/srv/keystore')
      expect(seen.get('REGISTRATION_OUTPUT_PATH')).toBe('/mnt/data/registration_inputs.bin')
      // No value escaped its quotes and ran as a command.
      expect(existsSync('/tmp/bpvm-pwned')).toBe(false)
    })
  })
})
