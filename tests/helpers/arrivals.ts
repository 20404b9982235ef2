/**
 * Things that happen, in order, awaited one at a time: a test pushes as they happen and awaits
 * `next()` for the one it is about. No timers, only promises.
 */
export class Arrivals<T> {
  private readonly ready: T[] = [];
  private readonly takers: Array<(value: T) => void> = [];

  push(value: T): void {
    const taker = this.takers.shift();
    if (taker) taker(value);
    else this.ready.push(value);
  }

  next(): Promise<T> {
    const value = this.ready.shift();
    if (value !== undefined) return Promise.resolve(value);
    return new Promise((resolve) => this.takers.push(resolve));
  }
}
