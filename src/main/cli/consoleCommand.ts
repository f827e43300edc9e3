import type { Command } from 'commander'
import { runAction } from './cliOutput'

/** Ctrl-]: leaves the console, as telnet and virsh do; the VM keeps running. */
const DETACH_KEY = 0x1d

/**
 * This terminal as a viewer of the instance's console: raw mode (every key goes to the guest's
 * shell, Ctrl-C too), the window's size passed on as it changes, Ctrl-] to leave.
 */
async function attachHere(name: string): Promise<{ reason: string }> {
  const { attachConsole } = await import('../../service/local/consoleOperations')
  const stdin = process.stdin
  let finish: (reason: string) => void = () => undefined
  const ended = new Promise<string>((resolve) => (finish = resolve))
  const viewer = await attachConsole(name, {
    onScreen: (data) => void process.stdout.write(data),
    onOutput: (data) => void process.stdout.write(data),
    onEnd: (reason) => finish(reason)
  })
  const resize = (): void => {
    if (process.stdout.columns && process.stdout.rows) viewer.resize(process.stdout.rows, process.stdout.columns)
  }
  const onKeys = (data: Buffer): void => {
    const at = data.indexOf(DETACH_KEY)
    if (at >= 0) {
      if (at > 0) viewer.input(data.subarray(0, at))
      finish('detached (Ctrl-])')
    } else {
      viewer.input(data)
    }
  }
  process.stderr.write(`bpvm: attached to ${name}'s console; Ctrl-] leaves it (the VM keeps running)\r\n`)
  if (stdin.isTTY) stdin.setRawMode(true)
  stdin.on('data', onKeys).resume()
  process.stdout.on('resize', resize)
  resize()
  try {
    const reason = await ended
    viewer.detach()
    return { reason }
  } finally {
    stdin.off('data', onKeys).pause()
    if (stdin.isTTY) stdin.setRawMode(false)
    process.stdout.off('resize', resize)
  }
}

/** `bpvm console NAME`. */
export function registerConsoleCommand(program: Command): void {
  program
    .command('console')
    .description("a root shell in the instance's guest, on its console (apart from the serial log); Ctrl-] leaves it, the VM keeps running")
    .argument('<name>', 'the instance')
    .action(async (name: string) => {
      await runAction(false, () => attachHere(name), ({ reason }) => `\r\nbpvm: ${reason}`)
    })
}
