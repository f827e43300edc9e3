import { execa } from 'execa'
import { findProgram, versionLine } from './programProbe'

/** socat on the host: the kept way to listen on AF_VSOCK, which Node cannot. */
export const SOCAT = 'socat'
export const SOCAT_HINT = 'install socat 1.7.4 or later (Debian and Ubuntu: apt install socat; Fedora: dnf install socat)'

/** What socat writes (with `-d -d`) once its listening socket is bound: AF=40 is AF_VSOCK. */
export const SOCAT_VSOCK_LISTENING = /listening on AF=40 /

/** socat when it has VSOCK addresses (1.7.4 and later), with its version line. */
export async function findSocatWithVsock(): Promise<{ path: string; version?: string } | undefined> {
  const path = await findProgram(SOCAT)
  if (!path) return undefined
  const help = await execa(path, ['-h'], { reject: false, timeout: 3_000, stdin: 'ignore', all: true })
  if (!/\bvsock-listen:/i.test(String(help.all ?? ''))) return undefined
  const version = await versionLine(path, ['-V'], /socat version/)
  return { path, ...(version === undefined ? {} : { version }) }
}

/**
 * Arguments for a listener on the host's vsock `port` that runs `command` for each connection
 * with the connection as its stdin and stdout and the peer's CID in `SOCAT_PEERADDR`. socat
 * splits `command` at spaces and runs it without a shell, so it must hold no user input.
 */
export function vsockListenerArgs(port: number, command: string): string[] {
  if (!Number.isInteger(port) || port <= 0 || port > 0xffffffff) throw new RangeError(`not a vsock port: ${port}`)
  if (/[,:!"'\\\s]/.test(command.replaceAll(' ', ''))) throw new RangeError(`socat would split this command line: ${command}`)
  return ['-d', '-d', `VSOCK-LISTEN:${port},reuseaddr,fork`, `EXEC:${command}`]
}
