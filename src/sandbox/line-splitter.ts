/**
 * Cuts a byte stream into lines, refusing to buffer more than `maxLineBytes` of one line.
 * The peer is untrusted: an endless line must cost bounded memory, and is reported.
 */
export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`a line exceeded ${limit} bytes`);
  }
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Returns the complete lines in `chunk` (without their newline). Throws LineTooLongError. */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = chunk.indexOf(10, start); end >= 0; end = chunk.indexOf(10, start)) {
      this.append(chunk.subarray(start, end));
      lines.push(this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.size));
      this.parts = [];
      this.size = 0;
      start = end + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
    return lines;
  }

  private append(piece: Buffer): void {
    this.size += piece.length;
    if (this.size > this.maxLineBytes) {
      this.parts = [];
      this.size = 0;
      throw new LineTooLongError(this.maxLineBytes);
    }
    this.parts.push(Buffer.from(piece));
  }
}
