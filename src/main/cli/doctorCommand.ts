import type { Command } from 'commander'
import type { DoctorReport } from '../../shared/api/host'
import { runAction } from './cliOutput'

function describeReport(report: DoctorReport): string {
  const width = Math.max(...report.programs.map((p) => p.program.length))
  const lines = report.programs.map((p) => {
    const name = p.program.padEnd(width)
    if (p.found) return `ok       ${name}  ${p.version ?? '(version unknown)'}  [${p.path}]`
    return `${p.required ? 'MISSING ' : 'missing '} ${name}  ${p.required ? 'required' : 'optional'}: ${p.purpose}; fix: ${p.fix}`
  })
  for (const c of report.host) lines.push(`${c.ok ? 'ok      ' : 'PROBLEM '} ${c.label}: ${c.detail}${c.fix ? `; fix: ${c.fix}` : ''}`)
  const missing = report.programs.filter((p) => p.required && !p.found).length
  lines.push(missing === 0 ? 'All required programs are installed.' : `${missing} required program${missing === 1 ? ' is' : 's are'} missing.`)
  return lines.join('\n')
}

/** `bpvm doctor`: which of the programs the app relies on are installed. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check that the programs bpvm relies on are installed, and say how to install the missing ones')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await runAction(options.json, async () => (await import('./inProcessService')).callService('host:doctor', undefined), describeReport)
    })
}
