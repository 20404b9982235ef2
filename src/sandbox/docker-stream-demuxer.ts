/**
 * Splits Docker's multiplexed attach stream (non-TTY) into stdout and stderr bytes.
 * Each frame is an 8-byte header (stream type, 3 zero bytes, big-endian payload length)
 * followed by the payload. Input is untrusted, so a frame type we do not know is a
 * protocol error, not something to guess at.
 */
const HEADER_BYTES = 8;

export type DemuxedStream = "stdout" | "stderr";

export class DockerStreamDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onData: (stream: DemuxedStream, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= HEADER_BYTES) {
      const kind = this.pending[0];
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + length) return;
      const payload = this.pending.subarray(HEADER_BYTES, HEADER_BYTES + length);
      this.pending = this.pending.subarray(HEADER_BYTES + length);
      if (kind === 1) this.onData("stdout", payload);
      else if (kind === 2) this.onData("stderr", payload);
      else if (kind !== 0) throw new Error(`unknown Docker stream type ${kind}`);
    }
  }
}
