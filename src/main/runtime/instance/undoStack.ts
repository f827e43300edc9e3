/**
 * What a launch has taken so far, in order, each with how to give it back. On failure the
 * steps are undone newest first; one undo failing does not stop the others.
 */
export class UndoStack {
  private readonly steps: Array<{ what: string; undo: () => Promise<unknown> }> = []

  push(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo })
  }

  /**
   * A step still under way, undone once it has finished (nothing to undo when it failed): an
   * unwind waits for it, so nothing it starts is left behind however the two race.
   */
  pushStarting<T>(what: string, starting: Promise<T>, undo: (value: T) => Promise<unknown>): void {
    // Its failure is the caller's to report; here it only means there is nothing to undo.
    starting.catch(() => undefined)
    this.push(what, async () => {
      const done = await starting.then(
        (value) => ({ value }),
        () => undefined
      )
      if (done) await undo(done.value)
    })
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
