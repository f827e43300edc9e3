import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ApiBackend } from '../../src/service/apiBackend'
import { createRuntimeService } from '../../src/service/runtimeService'
import { UBUNTU_BASE_URL_ENV, UBUNTU_RELEASE_NAME } from '../../src/main/runtime/image/ubuntuRelease'
import type { ImageList, TaskInfo } from '../../src/shared/api'
import { startImageServer, type ImageServer } from '../image/imageServer'
import { IMAGE_PATH, makeFixtureRelease, RELEASE_PATH, type FixtureRelease } from '../image/ubuntuFixture'
import { describeWithPrograms } from '../support/prerequisites'
import { recordEvents, useServiceHome } from './serviceHome'

describeWithPrograms(['qemu-img'], 'an image pull as a task of the runtime service', () => {
  useServiceHome('pull')
  let fixtureDir: string
  let release: FixtureRelease
  let server: ImageServer
  let service: ApiBackend

  beforeAll(async () => {
    fixtureDir = await mkdtemp(join(tmpdir(), 'bpvm-release-'))
    release = await makeFixtureRelease(fixtureDir)
    server = await startImageServer(new Map(release.files))
    process.env[UBUNTU_BASE_URL_ENV] = `${server.origin}${RELEASE_PATH}`
    service = createRuntimeService({ reconcile: 'off' })
  })
  afterAll(async () => {
    delete process.env[UBUNTU_BASE_URL_ENV]
    await service.close()
    await server.close()
    await rm(fixtureDir, { recursive: true, force: true })
  })

  const pull = async (): Promise<TaskInfo> => {
    const result = await service.call('images:pull', undefined)
    if (!result.ok) throw new Error(result.error.message)
    return result.value as TaskInfo
  }

  it('stops a pull when it is cancelled, then a second pull resumes and finishes it', async () => {
    const events = recordEvents(service)
    // The image's body stalls halfway: the pull waits on it until it is cancelled.
    server.stallOnce.set(IMAGE_PATH, Math.floor(release.image.length / 2))
    const stalled = await pull()
    expect(stalled).toMatchObject({ kind: 'image-pull', target: `ubuntu/${UBUNTU_RELEASE_NAME}`, state: 'running' })
    // Asking again while it runs answers with the same task.
    expect((await pull()).id).toBe(stalled.id)
    await events.waitFor('tasks:progress', (t) => t.id === stalled.id && t.message === `downloading ${IMAGE_PATH.split('/').at(-1)}` && t.bytes !== undefined, 10_000)
    expect(await service.call('tasks:cancel', { id: stalled.id })).toMatchObject({ ok: true, value: { id: stalled.id } })
    expect(await events.waitFor('tasks:progress', (t) => t.id === stalled.id && t.state !== 'running', 5_000)).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } })
    expect(await service.call('images:list', undefined)).toMatchObject({ ok: true, value: { images: [{ name: `ubuntu/${UBUNTU_RELEASE_NAME}`, ready: false }] } })

    const resumed = await pull()
    expect(resumed.id).not.toBe(stalled.id)
    const done = await events.waitFor('tasks:progress', (t) => t.id === resumed.id && t.state !== 'running', 60_000)
    expect(done).toMatchObject({ state: 'succeeded', step: 'ready' })
    // The second pull asked for the rest of the image only.
    expect(server.requestsFor(IMAGE_PATH).at(-1)?.range).toMatch(/^bytes=\d+-$/)

    // Over loopback the rest comes in a moment: whatever byte progress was sent kept its pace.
    const bytes = events.of('tasks:progress').filter((e) => e.payload.state === 'running' && e.payload.bytes !== undefined)
    for (let i = 1; i < bytes.length; i++) {
      const [before, after] = [bytes[i - 1]!.payload, bytes[i]!.payload]
      if (before.id === after.id && before.step === after.step) expect(bytes[i]!.at - bytes[i - 1]!.at).toBeGreaterThanOrEqual(90)
    }
    const images = await service.call('images:list', undefined)
    expect(images.ok && (images.value as ImageList).images).toMatchObject([{ name: `ubuntu/${UBUNTU_RELEASE_NAME}`, kind: 'ubuntu', ready: true, detail: expect.stringMatching(/^pulled /) }])
    expect((await service.call('tasks:list', undefined)) as { value: TaskInfo[] }).toMatchObject({ value: [{ id: stalled.id, state: 'cancelled' }, { id: resumed.id, state: 'succeeded' }] })
    events.stop()
  })
})
