import { join } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { cliCommand, repoRoot } from './runCli'

export interface ConsoleOnPty {
  output: () => string
  keys: (text: string) => void
  resize: (rows: number, cols: number) => void
  done: ResultPromise
}

/** `bpvm console NAME` on a terminal of its own (a pty, driven as a person would: keys, a window resize). */
export function consoleOnPty(home: string, name: string): ConsoleOnPty {
  const [node, args] = cliCommand(['console', name])
  const run = execa('/usr/bin/python3', [join(repoRoot, 'test', 'support', 'ptyDriver.py'), '24', '80', '--', node, ...args], {
    cwd: repoRoot,
    env: { BPVM_HOME: home, TERM: 'xterm-256color' },
    stdin: 'pipe',
    reject: false,
    timeout: 120_000
  })
  let output = ''
  run.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const send = (action: unknown): void => void run.stdin?.write(`${JSON.stringify(action)}\n`)
  return { output: () => output, keys: (text) => send({ keys: text }), resize: (rows, cols) => send({ resize: [rows, cols] }), done: run }
}
