import type { Command } from 'commander'
import { runAction } from './cliOutput'
import type { ServeFlags } from '../serve/runServe'

// The server and the runtime load when the command runs, so `bpvm` starts fast (see diskCommands.ts).
const serve = () => import('../serve/runServe')

/** `bpvm serve`: the desktop app's UI in a browser, for machines without a display. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the UI and its API to a browser on this machine (prints the address, with a one-time token); runs until Ctrl-C, leaving VMs running')
    .option('--port <port>', 'TCP port (default 7420); 0 picks a free one')
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('--allow-remote', 'allow a --host other machines can reach: anyone who can reach it and has the token controls your VMs')
    .action(async (options: ServeFlags) => {
      await runAction(undefined, async () => (await serve()).runServe(options), () => '')
    })
}
