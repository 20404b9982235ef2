/** One run per conversation at a time; later messages wait their turn, in arrival order. */
export class ConversationQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly depth = new Map<string, number>();

  isBusy(key: string): boolean {
    return (this.depth.get(key) ?? 0) > 0;
  }

  run(key: string, work: () => Promise<void>): Promise<void> {
    this.depth.set(key, (this.depth.get(key) ?? 0) + 1);
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work).finally(() => {
      const left = (this.depth.get(key) ?? 1) - 1;
      if (left === 0) {
        this.depth.delete(key);
        if (this.tails.get(key) === tail) this.tails.delete(key);
      } else {
        this.depth.set(key, left);
      }
    });
    // The chain must survive a failed run, or one error would block the conversation forever.
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    return next;
  }

  /** Resolves when every queued run has finished. */
  async drain(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}
