import type { z } from 'zod'
import { invalidInput } from './errors'

/**
 * Parses input with a zod schema and turns the first issue into an `INVALID_INPUT` error
 * that names the user-facing field (a CLI flag), not zod's internal property path.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, fieldFor: (path: readonly PropertyKey[]) => string): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  if (!issue) throw invalidInput(fieldFor([]), 'is invalid')
  throw invalidInput(fieldFor(issue.path), issue.message)
}
