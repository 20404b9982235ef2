/**
 * Hostile files made in the test, never stored: a PNG whose header declares 100000×100000
 * pixels, a zip bomb (deflated zeros in a hand-written zip container), and real files cut off.
 */
import { crc32, deflateRawSync, deflateSync } from "node:zlib";
import sharp from "sharp";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid little PNG container whose header claims `width`×`height` RGB pixels. */
export function pngBomb(width = 100_000, height = 100_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(Buffer.alloc(64 * 1024))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

export function realPng(width = 320, height = 200): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: "#3366cc" } })
    .png()
    .toBuffer();
}

/** The first part of `data`: what a download cut off half-way leaves. */
export function truncated(data: Buffer, keep = 0.5): Buffer {
  return data.subarray(0, Math.floor(data.length * keep));
}

interface ZipEntry {
  name: string;
  /** Uncompressed content. */
  data: Buffer;
}

/** A zip archive, deflate-compressed, with a central directory: enough for Python's zipfile. */
export function zipArchive(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, "utf8");
    const packed = deflateRawSync(entry.data, { level: 9 });
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** `count` files of `mbEach` MB of zeros: a few hundred KB that unpack to count×mbEach MB. */
export function zipBomb(count = 4, mbEach = 64): Buffer {
  const zeros = Buffer.alloc(mbEach * 1024 * 1024);
  return zipArchive(Array.from({ length: count }, (_, i) => ({ name: `zeros-${i}.bin`, data: zeros })));
}

/** The smallest workbook-shaped zip: what matters here is its structure, not Excel's content. */
export function workbookLike(): Buffer {
  return zipArchive([
    { name: "[Content_Types].xml", data: Buffer.from(`<?xml version="1.0"?><Types/>`.repeat(200)) },
    { name: "xl/workbook.xml", data: Buffer.from(`<workbook/>`.repeat(400)) },
  ]);
}

export function pdfLike(): Buffer {
  return Buffer.from(
    `%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n${"% filler line\n".repeat(100)}trailer << /Root 1 0 R >>\n%%EOF\n`,
  );
}
