import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Programs the FAT read-back checks use. */
export const fatInspectPrograms = ['fsck.fat', 'mdir', 'mcopy', 'blkid'] as const

/**
 * Runs `fsck.fat -n` and throws on ANY complaint: it exits 0 for several real problems
 * (bad long-name checksum, unknown FSInfo free count, too few clusters), so its output is
 * checked too. A clean run prints only the version line and the summary line.
 */
export async function fsckFat(image: string): Promise<string> {
  let output: string
  try {
    const { stdout, stderr } = await run('fsck.fat', ['-n', image], { maxBuffer: 64 * 1024 * 1024 })
    output = stdout + stderr
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string }
    throw new Error(`fsck.fat failed on ${image}:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error })
  }
  const complaints = output.split('\n').filter((line) => isComplaint(line))
  if (complaints.length > 0) throw new Error(`fsck.fat complained about ${image}:\n${complaints.join('\n')}`)
  return output
}

// A clean run prints its version and one summary line; every other line is a complaint.
const informational = [/^fsck\.fat \d/, /^\S+: \d+ files, \d+\/\d+ clusters$/, /^$/]

function isComplaint(line: string): boolean {
  return !informational.some((pattern) => pattern.test(line))
}

/** The label blkid reads (it must find it in the boot sector and the root directory). */
export async function blkidLabel(image: string): Promise<string | undefined> {
  const { stdout } = await run('blkid', ['-p', '-o', 'export', image])
  const line = stdout.split('\n').find((l) => l.startsWith('LABEL='))
  return line?.slice('LABEL='.length)
}

/** Filesystem type blkid sees, e.g. `vfat`, and the FAT variant (`FAT32`). */
export async function blkidType(image: string): Promise<{ type?: string; version?: string }> {
  const { stdout } = await run('blkid', ['-p', '-o', 'export', image])
  const value = (key: string) => stdout.split('\n').find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1)
  return { type: value('TYPE'), version: value('VERSION') }
}

// A UTF-8 locale, or mtools turns every non-ASCII long name into underscores.
const mtoolsEnv = { ...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C.UTF-8' }

/** Copies the whole volume out with mtools, long names and nesting preserved. */
export async function extractFat(image: string, destination: string): Promise<void> {
  await run('mcopy', ['-s', '-n', '-p', '-m', '-i', image, '::/*', destination], { env: mtoolsEnv, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stderr?: string }) => {
      // An empty volume has nothing for `::/*` to match; that is not an error for us.
      if (!/no match|not found/i.test(error.stderr ?? '')) throw error
    }
  )
}

/** `mdir -a` listing of one directory of the volume (long names shown). */
export async function mdirListing(image: string, directory = '::/'): Promise<string> {
  const { stdout } = await run('mdir', ['-a', '-i', image, directory], { env: mtoolsEnv, maxBuffer: 64 * 1024 * 1024 })
  return stdout
}
