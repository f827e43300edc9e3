import type { z } from 'zod'

/** `text` parsed as JSON and checked against `schema`, or undefined when it is neither. */
export function parseJsonWith<T>(text: string, schema: z.ZodType<T>): T | undefined {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  const result = schema.safeParse(json)
  return result.success ? result.data : undefined
}
