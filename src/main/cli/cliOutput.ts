import { CommanderError } from 'commander'
import { toErrorInfo } from '../../shared/errors'
import { fail, ok, type ErrorInfo, type Result } from '../../shared/result'
import { escapeControls } from '../../shared/terminalText'
import { namingTheOption, type OptionNames } from './optionNames'

/** Exit codes: 1 when the work failed, 2 when the command line itself was wrong. */
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** Messages may quote user input: the error stays one line on stderr, its control characters written out. */
const oneLine = (text: string): string => escapeControls(text.replace(/\s*[\r\n]+\s*/g, ' ').trim())

function writeJson<T>(result: Result<T>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

function reportFailure(error: ErrorInfo, json: boolean, exitCode: number): void {
  if (json) writeJson(fail(error))
  process.stderr.write(`bpvm: ${oneLine(error.message)}\n`)
  process.exitCode = exitCode
}

/**
 * Runs one command's work and reports it: `{"ok":true,"value":…}` with `--json`, the human
 * summary otherwise; on failure the error envelope (with `--json`), one `bpvm:` line on
 * stderr and exit code 1. `optionOf` names the command's fields by the options that set them.
 */
export async function runAction<T>(json: boolean | undefined, work: () => Promise<T>, human: (value: T) => string, optionOf: OptionNames = {}): Promise<void> {
  let value: T
  try {
    value = await work()
  } catch (error) {
    // The runtime names fields by request path; here they are named by the option typed.
    reportFailure(toErrorInfo(namingTheOption(error, optionOf)), json === true, EXIT_FAILURE)
    return
  }
  if (json) writeJson(ok(value))
  else {
    // A command that printed as it went (`logs`) has nothing left to summarise.
    const text = human(value)
    if (text !== '') process.stdout.write(`${escapeControls(text, { keepLines: true })}\n`)
  }
}

/**
 * Reports what commander threw while parsing. Help and version requests are not errors;
 * anything else is a usage error (exit 2), reported like any other failure.
 */
export function reportParseError(error: unknown, argv: readonly string[]): void {
  const json = argv.includes('--json')
  if (!(error instanceof CommanderError)) {
    reportFailure(toErrorInfo(error), json, EXIT_FAILURE)
    return
  }
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
    process.exitCode = error.exitCode
    return
  }
  // Commander prints the whole help for a missing subcommand; a single line says the same.
  const message =
    error.code === 'commander.help' ? 'a command is required (run with --help to list them)' : error.message.replace(/^error:\s*/, '')
  reportFailure({ code: 'USAGE', message }, json, EXIT_USAGE)
}
