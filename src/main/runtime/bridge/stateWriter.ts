import { writeBridgeState, type BridgeState } from './bridgeFiles'

/**
 * Writes the bridge's state as it changes, one write at a time: changes made during a write
 * are folded into the next, so a flood of calls costs a few writes, and the newest always lands.
 */
export class StateWriter {
  private pending: BridgeState | undefined
  private writing: Promise<void> | undefined

  constructor(
    private readonly file: string,
    private readonly onError: (error: Error) => void
  ) {}

  write(state: BridgeState): void {
    this.pending = state
    this.writing ??= this.flush()
  }

  private async flush(): Promise<void> {
    while (this.pending) {
      const state = this.pending
      this.pending = undefined
      await writeBridgeState(this.file, state).catch((error: Error) => this.onError(error))
    }
    this.writing = undefined
  }

  /** Resolves once everything written so far is on disk. */
  async drain(): Promise<void> {
    while (this.writing) await this.writing
  }
}
