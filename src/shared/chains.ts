/** Chains a blueprint service knows by name (`CHAIN`). Kept apart so the CLI can list them without loading the env model. */
export const CHAINS = ['local_testnet', 'local_mainnet', 'testnet', 'mainnet'] as const
export type Chain = (typeof CHAINS)[number]
