import type { Command } from 'commander'
import type { DevGuestBuild } from '../runtime/image/devGuest/buildDevGuest'
import { runAction } from './cliOutput'

// The action loads the image builder when it runs, so `bpvm` starts without it.

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

/** `bpvm image build-dev`: the offline dev guest, built from Debian packages or taken from the cache. */
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
          const { buildDevGuest } = await import('../runtime/image/devGuest/buildDevGuest')
          return buildDevGuest(showProgress ? { onProgress: ({ message }) => process.stderr.write(`${message}…\n`) } : {})
        },
        describeDevGuest
      )
    })
}
