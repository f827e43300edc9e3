import type { Command } from 'commander'
import type { DataDiskReport } from '../runtime/disk/dataDisk'
import type { FatBuildReport } from '../runtime/disk/fat/fatTypes'
import { formatSize, parseSize } from '../../shared/sizes'
import { runAction } from './cliOutput'
import { CIDATA_OPTION_OF, DATA_DISK_OPTION_OF, SERVICE_DISK_OPTION_OF } from './optionNames'
import { addServiceDiskOptions, collect, type ServiceDiskOptions } from './serviceDiskOptions'

// Each action loads the runtime it needs when it runs, so `bpvm` starts without loading
// every program wrapper and schema library.

function describeFatImage(what: string, report: FatBuildReport): string {
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`
  return (
    `${what} written to ${report.path}: ${formatSize(report.imageBytes)} image, ` +
    `${count(report.files, 'file', 'files')} and ${count(report.directories, 'directory', 'directories')}, ` +
    `${formatSize(report.payloadBytes)} of content`
  )
}

function describeDataDisk(report: DataDiskReport): string {
  const size = formatSize(report.virtualSizeBytes)
  if (report.action !== 'kept') return `Data disk ${report.action} at ${report.path} (${size})`
  const note = report.virtualSizeBytes === report.requestedBytes ? '' : `; not resized to ${formatSize(report.requestedBytes)}, --recreate replaces it`
  return `Existing data disk kept at ${report.path} (${size}${note})`
}

/** `bpvm disk service|cidata|data`: build each of a VM's disks on its own. */
export function registerDiskCommands(program: Command): void {
  const disk = program.command('disk').description("build a VM's disks: the service disk, the cloud-init disk, the data disk")

  addServiceDiskOptions(
    disk.command('service').description('build the service disk (FAT32, label SERVICEDISK): the binary, /launch and the keystore')
  ).action(async (options: ServiceDiskOptions) => {
    await runAction(
      options.json,
      async () => {
        const [{ buildServiceDisk }, { serviceDiskRequest }] = await Promise.all([import('../../service/local/diskOperations'), import('./serviceDiskRequest')])
        return buildServiceDisk(serviceDiskRequest(options))
      },
      (report) => describeFatImage('Service disk', report),
      SERVICE_DISK_OPTION_OF
    )
  })

  disk
    .command('cidata')
    .description("build the cloud-init seed disk (FAT32, label CIDATA): the guest's network and first-boot setup")
    .requiredOption('--instance-id <id>', 'cloud-init instance id (a new id makes cloud-init run its first-boot setup again)')
    .requiredOption('--mac <mac>', "MAC address of the guest's NIC, e.g. 52:54:00:12:34:56")
    .requiredOption('--address <ip/prefix>', "the guest's address, e.g. 172.30.0.2/24")
    .requiredOption('--gateway <ip>', "default gateway, inside the address's subnet")
    .option('--dns <ip>', 'DNS server (repeatable; default 1.1.1.1 and 8.8.8.8)', collect)
    .requiredOption('--out <image>', 'disk image to write: a new file, or an existing regular file with --force')
    .option('--force', 'replace an existing file at --out')
    .option('--json', 'print the result as JSON')
    .action(async (options: { instanceId: string; mac: string; address: string; gateway: string; dns?: string[]; out: string; force?: boolean; json?: boolean }) => {
      await runAction(
        options.json,
        async () => {
          const { force, ...request } = options
          return (await import('../../service/local/diskOperations')).buildCidataDisk({ ...request, ...(force ? { replace: true } : {}) })
        },
        (report) => describeFatImage('Cloud-init disk', report),
        CIDATA_OPTION_OF
      )
    })

  disk
    .command('data')
    .description("create the VM's qcow2 data disk, or keep the existing one and its data")
    .requiredOption('--size <size>', 'virtual size, e.g. 20G (K, M, G, T are powers of 1024)')
    .requiredOption('--out <file>', 'qcow2 file to create')
    .option('--recreate', 'replace an existing disk, erasing its data')
    .option('--json', 'print the result as JSON')
    .action(async (options: { size: string; out: string; recreate?: boolean; json?: boolean }) => {
      await runAction(
        options.json,
        async () => {
          const { ensureDataDisk } = await import('../../service/local/diskOperations')
          return ensureDataDisk({ path: options.out, sizeBytes: parseSize(options.size, '--size'), recreate: options.recreate === true })
        },
        describeDataDisk,
        DATA_DISK_OPTION_OF
      )
    })
}
