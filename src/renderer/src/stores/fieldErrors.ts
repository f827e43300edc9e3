import type { ErrorInfo } from '../../../shared/result'

/** Messages by form field; a field with no problem is absent. */
export type FieldErrors = Record<string, string>

/** How the runtime or the API names a field (`--http-rpc-url`, `env.httpRpcUrl`) → the form's field, or undefined. */
export type FieldMapper = (name: string) => string | undefined

export interface PlacedErrors {
  fields: FieldErrors
  /** Problems no field owns (shown with the whole form). */
  rest: string[]
}

function problemsOf(error: ErrorInfo): Array<{ field: string; message: string }> {
  const problems = error.details?.problems
  if (!Array.isArray(problems)) return []
  return problems.flatMap((p: unknown) => {
    const { field, message } = (p ?? {}) as { field?: unknown; message?: unknown }
    return typeof field === 'string' && typeof message === 'string' ? [{ field, message }] : []
  })
}

/** `channel: field: message` or `field: message` → the field and the message after it, when the field maps. */
function splitMessage(message: string, map: FieldMapper): { field: string; message: string } | undefined {
  const parts = message.split(': ')
  // The field is the first part, or the second after a channel name (`instances:launch: name: …`).
  for (let i = 0; i < Math.min(parts.length - 1, 2); i++) {
    const field = map(parts[i] ?? '')
    if (field) return { field, message: parts.slice(i + 1).join(': ') }
  }
  return undefined
}

/**
 * Places an error on the form's fields: each `details.problems` entry (schema errors) on its
 * field, else the field named by `details.field` or by the message's `field: message` form.
 * What names no known field stays in `rest`.
 */
export function placeErrors(error: ErrorInfo, map: FieldMapper): PlacedErrors {
  const fields: FieldErrors = {}
  const rest: string[] = []
  const problems = problemsOf(error)
  if (problems.length > 0) {
    for (const problem of problems) {
      const field = map(problem.field)
      if (field && !fields[field]) fields[field] = problem.message
      else if (!field) rest.push(`${problem.field}: ${problem.message}`)
    }
    return { fields, rest }
  }
  const split = splitMessage(error.message, map)
  const named = typeof error.details?.field === 'string' ? map(error.details.field) : undefined
  if (split) fields[split.field] = split.message
  else if (named) fields[named] = error.message
  else rest.push(error.message)
  return { fields, rest }
}

/** A mapper from a table of names, also matching dotted paths by their longest known prefix (`env.extraEnv.0.1`). */
export function fieldMapper(table: Record<string, string>): FieldMapper {
  return (name) => {
    let candidate = name.trim()
    for (;;) {
      const field = Object.hasOwn(table, candidate) ? table[candidate] : undefined
      if (field) return field
      const dot = candidate.lastIndexOf('.')
      if (dot < 0) return undefined
      candidate = candidate.slice(0, dot)
    }
  }
}
