import { expect } from 'vitest'
import { BpvmError } from '../../src/shared/errors'

/** The BpvmError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function bpvmFailure(promise: Promise<unknown>): Promise<BpvmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(BpvmError)
  return error as BpvmError
}
