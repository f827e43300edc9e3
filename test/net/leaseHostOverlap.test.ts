import { join } from 'node:path'
import { expect, it } from 'vitest'
import { createTap } from '../../src/main/runtime/net/ipCommand'
import { LeaseStore } from '../../src/main/runtime/net/leaseStore'
import { useNetns } from '../support/netns'
import { describeAsRoot, describeWithPrograms } from '../support/prerequisites'
import { useTempDirs } from '../support/tempDirs'

describeAsRoot('leases against a real host (a test namespace)', () => {
  describeWithPrograms(['ip'], 'allocation', () => {
    const netns = useNetns()
    const tempDir = useTempDirs()

    it('never hands out a subnet the host already uses, checking again at every allocation', async () => {
      const ns = await netns.create()
      const store = new LeaseStore({ stateDir: join(await tempDir(), 'state'), pool: '172.30.0.0/28', net: { netns: ns } })
      // Another program already uses the pool's first /30 on an interface of its own.
      await createTap({ netns: ns }, { name: 'other0', hostAddress: '172.30.0.1', prefix: 30 })
      const first = await store.allocate('vm-a')
      expect(first.subnet).toBe('172.30.0.4/30')
      // A route that appears later covers the next one: the next allocation sees it.
      await netns.run(ns, 'ip', ['route', 'add', '172.30.0.8/30', 'dev', 'other0'])
      const second = await store.allocate('vm-b')
      expect(second.subnet).toBe('172.30.0.12/30')
      await expect(store.allocate('vm-c')).rejects.toMatchObject({ code: 'POOL_EXHAUSTED' })
    })
  })
})
