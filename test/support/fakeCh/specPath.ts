import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** cloud-hypervisor's OpenAPI contract, a verbatim copy kept with the tests (see its SOURCE.md). */
export const CH_SPEC_PATH = fileURLToPath(new URL('../../fixtures/contracts/cloud-hypervisor.yaml', import.meta.url))

export const hasChSpec = (): boolean => existsSync(CH_SPEC_PATH)
