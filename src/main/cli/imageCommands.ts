import { Argument, type Command } from 'commander'
import type { DebianImage } from '../runtime/image/debian/buildDebianImage'
import type { DevGuestBuild } from '../runtime/image/devGuest/buildDevGuest'
import type { ImageCatalog, RemovedImage } from '../runtime/image/imageCatalog'
import type { UbuntuImage, UbuntuPullProgress } from '../runtime/image/ubuntuImage'
import { formatSize } from '../../shared/sizes'
import { runAction } from './cliOutput'

// Each action loads the runtime it needs when it runs, so `bpvm` starts without it.

function describeDevGuest(build: DevGuestBuild): string {
  const seconds = `${(build.elapsedMs / 1000).toFixed(1)} s`
  const { kernel, busybox } = build.manifest.packages
  return [
    build.fromCache ? `Dev guest taken from the cache in ${seconds}: ${build.dir}` : `Dev guest built in ${seconds}: ${build.dir}`,
    `  kernel     ${build.kernel} (${kernel.name} ${kernel.version})`,
    `  initramfs  ${build.initramfs} (${busybox.name} ${busybox.version}, ${build.manifest.modules.length} kernel modules)`,
    `  cmdline    ${build.cmdline}`
  ].join('\n')
}

function describeUbuntu(image: UbuntuImage): string {
  const seconds = `${(image.elapsedMs / 1000).toFixed(1)} s`
  return [
    image.fromCache ? `Ubuntu ${image.release} taken from the cache in ${seconds}: ${image.dir}` : `Ubuntu ${image.release} pulled in ${seconds}: ${image.dir}`,
    `  base    ${image.base} (qcow2, ${formatSize(image.baseVirtualSizeBytes)} virtual)`,
    `  kernel  ${image.kernel}`,
    `  initrd  ${image.initrd}`
  ].join('\n')
}

function describeDebian(image: DebianImage): string {
  const seconds = `${(image.elapsedMs / 1000).toFixed(1)} s`
  const { manifest } = image
  const count = Object.keys(manifest.packages).length
  return [
    image.fromCache ? `Debian image taken from the cache in ${seconds}: ${image.dir}` : `Debian image built in ${seconds}: ${image.dir}`,
    `  name     ${image.name} (${manifest.suite} from ${manifest.mirror}, ${manifest.release.label || 'release'} of ${manifest.release.date || 'unknown date'})`,
    `  base     ${image.base} (qcow2, ${formatSize(manifest.baseVirtualSizeBytes)} virtual)`,
    `  kernel   ${image.kernel} (${manifest.kernelRelease})`,
    `  initrd   ${image.initrd}`,
    `  packages ${count} (cloud-init ${manifest.packages['cloud-init'] ?? '?'}, systemd ${manifest.packages.systemd ?? '?'})${manifest.include.length ? `; included: ${manifest.include.join(', ')}` : ''}`
  ].join('\n')
}

/**
 * Runs `body` with a signal that Ctrl-C aborts, so a long step stops cleanly and undoes itself.
 * The listener stays until the body is done: with none left, a later Ctrl-C (or a loader's own
 * handler, such as tsx's) would end the process before the undoing is over.
 */
async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const cancel = new AbortController()
  const onInterrupt = (): void => cancel.abort()
  process.on('SIGINT', onInterrupt)
  try {
    return await body(cancel.signal)
  } finally {
    process.off('SIGINT', onInterrupt)
  }
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)]

function describeCatalog(catalog: ImageCatalog): string {
  if (catalog.images.length === 0) return `No images in ${catalog.dir}`
  const width = Math.max(...catalog.images.map((image) => image.name.length))
  const rows = catalog.images.map(
    (image) => `  ${image.name.padEnd(width)}  ${formatSize(image.bytes).padStart(10)}  ${image.complete ? 'complete' : 'incomplete'}`
  )
  return [`Images in ${catalog.dir}:`, ...rows].join('\n')
}

const describeRemoved = (removed: RemovedImage): string => `Removed ${removed.name} (${formatSize(removed.freedBytes)} freed)`

/** Pull progress for a terminal: a download rewrites its own line, every other step gets one. */
function terminalProgress(stream: NodeJS.WriteStream): { onProgress: (progress: UbuntuPullProgress) => void; end: () => void } {
  let open = false
  const endLine = (): void => {
    if (open) stream.write('\n')
    open = false
  }
  return {
    onProgress: ({ message, download }) => {
      if (!download) {
        endLine()
        stream.write(`${message}…\n`)
        return
      }
      const of = download.total !== undefined ? ` of ${formatSize(download.total)} (${download.percent ?? 0}%)` : ''
      stream.write(`\r\x1b[K${download.file}: ${formatSize(download.bytes)}${of}`)
      open = true
    },
    end: endLine
  }
}

/** `bpvm image build-dev|pull|ls|rm`: guest images in the cache. */
export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('guest images')

  image
    .command('build-dev')
    .description("build the offline dev guest (Debian's cloud kernel and a busybox initramfs) from apt packages, or reuse the cached build")
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      // Progress only where someone watches; piped output stays the single summary (or error) line.
      const showProgress = options.json !== true && process.stderr.isTTY === true
      await runAction(
        options.json,
        async () => {
          const { buildDevGuest } = await import('../../service/local/imageOperations')
          return buildDevGuest(showProgress ? { onProgress: ({ message }) => process.stderr.write(`${message}…\n`) } : {})
        },
        describeDevGuest
      )
    })

  image
    .command('build-debian')
    .description('build the Debian cloud guest (systemd, cloud-init, the cloud kernel) from the Debian archive with mmdebstrap, or reuse the cached build of the same inputs; needs root')
    .option('--suite <name>', 'Debian suite', 'bookworm')
    .option('--mirror <url>', "Debian archive to build from (default: the one the host's apt uses)")
    .option('--include <packages>', 'more packages to install, comma-separated; may be given again', collect)
    .option('--json', 'print the result as JSON')
    .action(async (options: { suite: string; mirror?: string; include?: string[]; json?: boolean }) => {
      const showProgress = options.json !== true && process.stderr.isTTY === true
      await runAction(
        options.json,
        async () => {
          const { buildDebianImage } = await import('../../service/local/imageOperations')
          return withInterrupt((signal) =>
            buildDebianImage({
              suite: options.suite,
              ...(options.mirror === undefined ? {} : { mirror: options.mirror }),
              include: options.include ?? [],
              signal,
              ...(showProgress ? { onProgress: ({ phase, message }) => process.stderr.write(`[${phase}] ${message}…\n`) } : {})
            })
          )
        },
        describeDebian
      )
    })

  image
    .command('pull')
    .description('download the pinned Ubuntu 24.04 cloud image, kernel and initrd (checksum-verified) and make its base qcow2, or reuse the cached ones')
    .addArgument(new Argument('[image]', 'image to pull').choices(['ubuntu']).default('ubuntu'))
    .option('--json', 'print the result as JSON')
    .action(async (_image: string, options: { json?: boolean }) => {
      const progress = options.json !== true && process.stderr.isTTY === true ? terminalProgress(process.stderr) : undefined
      // Ctrl-C stops cleanly: what was downloaded stays for the next pull to resume.
      await runAction(
        options.json,
        async () => {
          const { pullUbuntu } = await import('../../service/local/imageOperations')
          try {
            return await withInterrupt((signal) => pullUbuntu({ signal, ...(progress ? { onProgress: progress.onProgress } : {}) }))
          } finally {
            progress?.end()
          }
        },
        describeUbuntu
      )
    })

  image
    .command('ls')
    .description('list the images in the cache: Ubuntu releases and dev guest builds, with their sizes')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await runAction(options.json, async () => (await import('../../service/local/imageOperations')).listImages(), describeCatalog)
    })

  image
    .command('rm')
    .description('remove an image from the cache; refused while an instance\'s root disk is an overlay on it')
    .argument('<name>', 'image name as `bpvm image ls` shows it, e.g. ubuntu/noble-20260321, or its directory')
    .option('--force', 'remove it even though instances use it (they cannot boot again until purged)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: { json?: boolean; force?: boolean }) => {
      await runAction(options.json, async () => (await import('../../service/local/imageOperations')).removeImageIfUnused(name, { force: options.force === true }), describeRemoved)
    })
}
