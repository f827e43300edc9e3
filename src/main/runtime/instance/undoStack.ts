/**
 * What a launch has taken so far, in order, each with how to give it back. On failure the
 * steps are undone newest first; one undo failing does not stop the others.
 */
export class UndoStack {
  private readonly steps: Array<{ what: string; undo: () => Promise<unknown> }> = []

  push(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo })
  }

  /** Runs every undo; returns the ones that failed, described. */
  async unwind(): Promise<string[]> {
    const failures: string[] = []
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.undo()
      } catch (error) {
        failures.push(`${step.what}: ${(error as Error).message}`)
      }
    }
    return failures
  }
}
