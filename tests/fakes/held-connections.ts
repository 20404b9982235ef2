/**
 * A fake server's outage: while held, new WebSocket upgrades wait unanswered; released, they
 * are accepted in order. Lets a test see a client between losing its connection and getting
 * it back, however fast it reconnects.
 */
export class HeldConnections {
  private held: Array<() => void> | null = null;

  /** Accepts the upgrade now, or when released. */
  admit(upgrade: () => void): void {
    if (this.held) this.held.push(upgrade);
    else upgrade();
  }

  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const upgrade of held) upgrade();
  }
}
