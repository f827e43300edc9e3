import { Command } from 'commander'
import { reportParseError } from './cliOutput'
import { registerConsoleCommand } from './consoleCommand'
import { registerDiskCommands } from './diskCommands'
import { registerDoctorCommand } from './doctorCommand'
import { registerImageCommands } from './imageCommands'
import { registerInstanceCommands } from './instanceCommands'
import { registerNetCommands } from './netCommands'
import { registerServeCommand } from './serveCommand'
import { registerSettingsCommands } from './settingsCommands'

/** The `bpvm` command line: a thin host over the same runtime the desktop app uses. */
export function buildProgram(): Command {
  const program = new Command('bpvm')
    .description('Blueprint VM Manager: build disks for and run blueprint services in micro-VMs')
    // Parse errors come back as exceptions, so they are reported once, as one line.
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined })
  registerDiskCommands(program)
  registerInstanceCommands(program)
  registerConsoleCommand(program)
  registerNetCommands(program)
  registerImageCommands(program)
  registerDoctorCommand(program)
  registerSettingsCommands(program)
  registerServeCommand(program)
  return program
}

try {
  await buildProgram().parseAsync(process.argv)
} catch (error) {
  reportParseError(error, process.argv)
}
