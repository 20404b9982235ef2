/** A byte count as people read it: "812 bytes", "4.2 KB", "1.5 MB". */
export function humanSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return bytes === 1 ? "1 byte" : `${bytes} bytes`;
}
