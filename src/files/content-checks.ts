/**
 * A look at an attachment's bytes before it lands in /mnt/data, without unpacking or decoding
 * anything: is it the kind of file its name says (an HTML page named .csv is not a CSV), is it
 * whole (a PNG without its end chunk, a PDF without %%EOF, a zip without its directory), does it
 * declare more pixels than a picture can have, and would a zip unpack to more than /mnt/data
 * holds. The bot never unpacks or renders attachments itself; code in the sandbox does, where
 * the memory and disk limits are the guard. These checks only let the reply say what to expect.
 */
import { humanSize } from "./human-size.ts";
import { imageHeader, pixelBomb } from "./image-limits.ts";

export type ContentVerdict =
  /** Not kept: it is not the file at all (a web page served or saved in its place). */
  | { kind: "refuse"; reason: string }
  /** Kept, with a warning the reply passes on. */
  | { kind: "warn"; reason: string }
  | { kind: "fine" };

const FINE: ContentVerdict = { kind: "fine" };
const HTML_NAMES = /\.(html?|xhtml|xml|svg|htm)$/i;
const ZIP_NAMES = /\.(zip|xlsx|xlsm|docx|pptx|odt|ods|jar)$/i;
const IMAGE_NAMES = /\.(png|jpe?g|gif|webp|tiff?)$/i;

export function looksLikeHtml(data: Buffer): boolean {
  const head = data
    .subarray(0, 1024)
    .toString("utf8")
    .replace(/^\uFEFF/, "")
    .trimStart()
    .toLowerCase();
  return /^<(!doctype html|html|head|body|meta|script|title)[\s>]/.test(head);
}

/** "CSV" for report.csv; "the file its name says" when it has no extension. */
function claimedKind(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toUpperCase() : "the file its name says";
}

export async function checkContent(
  name: string,
  mime: string,
  data: Buffer,
  options: { unpackLimitBytes: number },
): Promise<ContentVerdict> {
  const declaredHtml = /html|xml|svg/i.test(mime) || HTML_NAMES.test(name);
  if (!declaredHtml && looksLikeHtml(data)) {
    const kind = claimedKind(name);
    return {
      kind: "refuse",
      reason: `the download returned a web page instead of the file: it looks like HTML, not ${kind} (often a sign-in or error page, or a page saved under the wrong name). Export or download it again as ${kind} and attach that, or check that the bot may read your files`,
    };
  }
  if (data.subarray(0, 4).equals(PK_LOCAL) || ZIP_NAMES.test(name)) return checkZip(name, data, options);
  if (/\.pdf$/i.test(name) || data.subarray(0, 5).toString("latin1") === "%PDF-") return checkPdf(data);
  if (IMAGE_NAMES.test(name) || /^image\//i.test(mime)) return checkImage(data);
  return FINE;
}

function warn(reason: string): ContentVerdict {
  return { kind: "warn", reason };
}

async function checkImage(data: Buffer): Promise<ContentVerdict> {
  const header = await imageHeader(data);
  if (!header.ok) return warn(`it looks damaged: ${header.reason}`);
  const bomb = pixelBomb(header.width, header.height);
  if (bomb) return warn(`${bomb}, and opening it will likely run out of memory`);
  if (header.format === "png" && data.lastIndexOf(PNG_END) < 0) {
    return warn("it looks damaged: the PNG stops before its end marker, so it was probably cut off");
  }
  if (header.format === "jpeg" && data.lastIndexOf(JPEG_END) < data.length - 64) {
    return warn("it looks damaged: the JPEG stops before its end marker, so it was probably cut off");
  }
  return FINE;
}

function checkPdf(data: Buffer): ContentVerdict {
  if (data.subarray(0, 1024).indexOf("%PDF-", 0, "latin1") < 0) {
    return warn("it looks damaged: it does not start the way a PDF does");
  }
  if (data.subarray(-2048).indexOf("%%EOF", 0, "latin1") < 0) {
    return warn("it looks damaged: the PDF has no end marker (%%EOF), so it was probably cut off");
  }
  return FINE;
}

const PK_LOCAL = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const PK_END = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const PK_CENTRAL = 0x02014b50;
const JPEG_END = Buffer.from([0xff, 0xd9]);
const PNG_END = Buffer.from("IEND", "latin1");
/** The end record is 22 bytes plus a comment of at most 65535. */
const END_SEARCH = 22 + 65_535;

/**
 * XLSX, DOCX and friends are zip archives: their directory sits at the end, so a cut-off file
 * has none. The directory also says how big each file unpacks to, read here without inflating.
 */
function checkZip(name: string, data: Buffer, options: { unpackLimitBytes: number }): ContentVerdict {
  const isZip = /\.zip$/i.test(name);
  if (!data.subarray(0, 4).equals(PK_LOCAL) && !data.subarray(0, 4).equals(PK_END)) {
    return warn(
      isZip
        ? "it looks damaged: it does not start the way a zip archive does"
        : `it looks damaged: ${claimedKind(name)} files are zip archives inside, and this one is not`,
    );
  }
  const end = data.lastIndexOf(PK_END, Math.max(0, data.length - 22));
  if (end < 0 || end < data.length - END_SEARCH) {
    return warn(
      "it looks damaged: its zip directory (at the end of the file) is missing, so it was probably cut off",
    );
  }
  const entries = data.readUInt16LE(end + 10);
  const directoryAt = data.readUInt32LE(end + 16);
  let unpacked = 0;
  let at = directoryAt;
  for (let i = 0; i < entries; i += 1) {
    if (at + 46 > data.length || data.readUInt32LE(at) !== PK_CENTRAL) {
      return warn("it looks damaged: its zip directory is broken");
    }
    const size = data.readUInt32LE(at + 24);
    // 0xFFFFFFFF defers to a ZIP64 record: at least 4 GB, which no /mnt/data holds.
    unpacked += size === 0xffffffff ? 4 * 1024 ** 3 : size;
    at += 46 + data.readUInt16LE(at + 28) + data.readUInt16LE(at + 30) + data.readUInt16LE(at + 32);
  }
  if (unpacked > options.unpackLimitBytes) {
    const ratio = Math.round(unpacked / Math.max(1, data.length));
    return warn(
      `it unpacks to ${humanSize(unpacked)} (${ratio.toLocaleString("en-US")} times its size), more than /mnt/data holds (${humanSize(options.unpackLimitBytes)}): unpacking all of it will stop with "No space left on device", which harms nothing else. Unpack only the parts you need`,
    );
  }
  return FINE;
}
