/**
 * The MIME type the sandbox supervisor reports for a path in /mnt/data: Python's `mimetypes`
 * with the supervisor's additions (sandbox-image/kernel/cib_files.py), as the image answers
 * it. Checked against the image for every extension listed here; others are octet-stream.
 */
const TYPES: Readonly<Record<string, string>> = {
  bmp: "image/bmp",
  css: "text/css",
  csv: "text/csv",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  gif: "image/gif",
  h5: "application/x-hdf5",
  htm: "text/html",
  html: "text/html",
  ico: "image/vnd.microsoft.icon",
  jpeg: "image/jpeg",
  jpg: "image/jpeg",
  js: "text/javascript",
  json: "application/json",
  md: "text/markdown",
  mp3: "audio/mpeg",
  mp4: "video/mp4",
  pdf: "application/pdf",
  png: "image/png",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  py: "text/x-python",
  sqlite: "application/vnd.sqlite3",
  svg: "image/svg+xml",
  tar: "application/x-tar",
  tgz: "application/x-tar",
  tif: "image/tiff",
  tiff: "image/tiff",
  tsv: "text/tab-separated-values",
  txt: "text/plain",
  wav: "audio/x-wav",
  webp: "image/webp",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  xml: "application/xml",
  zip: "application/zip",
};

/** Compression suffixes `mimetypes` reports as an encoding: `a.csv.gz` is still text/csv. */
const ENCODINGS = new Set(["gz", "bz2", "xz", "br", "Z"]);

export function mimeType(path: string): string {
  const name = path.split("/").pop() ?? path;
  const parts = name.split(".").slice(1);
  if (parts.length > 1 && ENCODINGS.has(parts.at(-1) ?? "")) parts.pop();
  const extension = parts.at(-1);
  if (extension === undefined) return "application/octet-stream";
  return TYPES[extension] ?? TYPES[extension.toLowerCase()] ?? "application/octet-stream";
}
