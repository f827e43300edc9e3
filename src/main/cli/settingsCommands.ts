import type { Command } from 'commander'
import { formatSize } from '../../shared/sizes'
import type { AppSettingsInfo } from '../../shared/api/settings'
import { runAction } from './cliOutput'
import { SETTINGS_OPTION_OF } from './optionNames'
import type { SettingsOptions } from './settingsActions'

// Runtime modules load when an action runs, so `bpvm` starts fast (see diskCommands.ts).
const settings = () => import('./settingsActions')

function describeSettings(s: AppSettingsInfo): string {
  return [
    `defaultVmm: ${s.defaultVmm}${s.defaultVmm === 'auto' ? ' (cloud-hypervisor when it is installed, else QEMU)' : ''}`,
    `defaultImage: ${s.defaultImage}`,
    `defaultAccel: ${s.defaultAccel}`,
    `graceSeconds: ${s.graceSeconds}`,
    `logMaxBytes: ${formatSize(s.logMaxBytes)}`,
    `onQuit: ${s.onQuit}`,
    `theme: ${s.theme}`,
    'Network settings are under `bpvm net config`.'
  ].join('\n')
}

/** `bpvm settings`: the general settings the app and the CLI share. */
export function registerSettingsCommands(program: Command): void {
  program
    .command('settings')
    .description('show or change the general settings (shared with the desktop app); network settings are under `bpvm net config`')
    .option('--vmm <auto|cloud-hypervisor|qemu>', 'the VMM new VMs use; auto: cloud-hypervisor when it is installed, else QEMU')
    .option('--image <ubuntu|debian|dev>', 'the image new VMs boot')
    .option('--accel <auto|kvm|tcg>', 'the accelerator new VMs use')
    .option('--grace <seconds>', 'at teardown, how long to wait after the power button before the VMM is killed (0 to 3600)')
    .option('--log-size <size>', 'rotate each log file when it reaches this size, e.g. 16M (64K to 1G)')
    .option('--on-quit <ask|stop|leave>', 'what the desktop app does when it quits while VMs run')
    .option('--theme <system|light|dark>', "the desktop app's colours")
    .option('--reset', 'go back to the defaults (then apply any other option given)')
    .option('--json', 'print the result as JSON')
    .action(async (options: SettingsOptions & { json?: boolean }) => {
      await runAction(options.json, async () => (await settings()).configureSettings(options), describeSettings, SETTINGS_OPTION_OF)
    })
}
