import { API, type DebianBuildRequest, type ImageEntry, type ImageList, type TaskInfo } from '../shared/api'
import { buildDebianImage } from '../main/runtime/image/debian/buildDebianImage'
import { DEFAULT_SUITE } from '../main/runtime/image/debian/debianInputs'
import { appDirs } from '../main/runtime/appDirs'
import { buildDevGuest } from '../main/runtime/image/devGuest/buildDevGuest'
import { listImages, type CachedImage } from '../main/runtime/image/imageCatalog'
import { pullUbuntu, type UbuntuPullProgress } from '../main/runtime/image/ubuntuImage'
import { UBUNTU_RELEASE, UBUNTU_RELEASE_NAME } from '../main/runtime/image/ubuntuRelease'
import { removeImageIfUnused } from '../main/runtime/instance/imageUsers'
import { handle, type HandlerEntry } from './channelHandler'
import type { TaskProgress, TaskRegistry } from './taskRegistry'

export function imageHandlers(tasks: TaskRegistry): HandlerEntry[] {
  return [
    handle(API.images.list, async () => imageList()),
    handle(API.images.pull, async () => tasks.running('image-pull') ?? startPull(tasks)),
    handle(API.images.buildDev, async () => tasks.running('image-build-dev') ?? startDevBuild(tasks)),
    handle(API.images.buildDebian, async (request) => tasks.running('image-build-debian') ?? startDebianBuild(tasks, request ?? {})),
    handle(API.images.remove, ({ name, force }) => removeImageIfUnused(name, { force: force === true }))
  ]
}

async function imageList(): Promise<ImageList> {
  const catalog = await listImages()
  return { cacheDir: appDirs().cache, images: catalog.images.map(imageEntry) }
}

function imageEntry(image: CachedImage): ImageEntry {
  const made = image.kind === 'ubuntu' ? 'pulled' : 'built'
  const files = `${image.files.length} file${image.files.length === 1 ? '' : 's'}`
  const detail = image.createdAt !== undefined ? `${made} ${image.createdAt}, ${files}` : `incomplete (interrupted, or still being ${made}), ${files}`
  return { name: image.name, kind: image.kind, dir: image.dir, sizeBytes: image.bytes, ready: image.complete, detail }
}

/** One pull at a time: asking again while one runs answers with that task. */
function startPull(tasks: TaskRegistry): TaskInfo {
  return tasks.start({
    kind: 'image-pull',
    title: `Download Ubuntu ${UBUNTU_RELEASE.version}`,
    target: `ubuntu/${UBUNTU_RELEASE_NAME}`,
    cancellable: true,
    async run({ signal, progress }) {
      const image = await pullUbuntu({ signal, onProgress: (pull) => progress(pullProgress(pull)) })
      progress({ step: 'ready', message: image.fromCache ? `${image.release} was already in the cache` : `${image.release} is ready in ${image.dir}` })
    }
  })
}

function pullProgress({ phase, message, download }: UbuntuPullProgress): TaskProgress {
  return { step: phase, message, ...(download ? { bytes: download.bytes, totalBytes: download.total, percent: download.percent } : {}) }
}

/** One Debian build at a time: asking again while one runs answers with that task. */
function startDebianBuild(tasks: TaskRegistry, request: DebianBuildRequest): TaskInfo {
  return tasks.start({
    kind: 'image-build-debian',
    title: `Build the Debian image (${request.suite ?? DEFAULT_SUITE})`,
    target: 'debian',
    cancellable: true,
    async run({ signal, progress }) {
      const image = await buildDebianImage({ ...request, signal, onProgress: ({ phase, message }) => progress({ step: phase, message }) })
      progress({ step: 'ready', message: image.fromCache ? `${image.name} was already built` : `${image.name} is ready in ${image.dir}` })
    }
  })
}

// buildDevGuest takes no abort signal, so this task cannot be cancelled.
function startDevBuild(tasks: TaskRegistry): TaskInfo {
  return tasks.start({
    kind: 'image-build-dev',
    title: 'Build the dev guest',
    target: 'dev',
    cancellable: false,
    async run({ progress }) {
      const build = await buildDevGuest({ onProgress: ({ phase, message }) => progress({ step: phase, message }) })
      progress({ step: 'ready', message: build.fromCache ? `already built in ${build.dir}` : `built in ${build.dir}` })
    }
  })
}
