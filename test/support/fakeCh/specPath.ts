import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** cloud-hypervisor's OpenAPI contract lives beside the repository, at `../shared/specs/`. */
export const CH_SPEC_PATH = fileURLToPath(new URL('../../../../shared/specs/cloud-hypervisor.yaml', import.meta.url))

export const hasChSpec = (): boolean => existsSync(CH_SPEC_PATH)
