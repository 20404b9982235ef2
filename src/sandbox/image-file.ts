/**
 * Reads one file out of a sandbox image without running anything from it: a container is
 * created, never started, copied from and removed. Used for what the image says about itself
 * (sandbox-libraries.ts), where starting Python would cost a second and a sandbox's limits.
 */
import { buffer as readAll } from "node:stream/consumers";
import type Dockerode from "dockerode";
import { LABEL_IMAGE_READ } from "./container-spec.ts";
import { ImageFileMissingError } from "./sandbox-runtime.ts";

const TAR_BLOCK = 512;
/** Docker's archive of a single file: the file's header, perhaps a PAX header before it. */
const PAX_TYPES = new Set(["x", "g"]);
const REGULAR_FILE_TYPES = new Set(["0", "\0"]);

export async function readImageFile(
  docker: Dockerode,
  image: string,
  filePath: string,
  maxBytes: number,
): Promise<Buffer> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ["true"],
    NetworkDisabled: true,
    // Kept apart from sandbox containers: no scope, so no sweep takes it for one of its own.
    Labels: { [LABEL_IMAGE_READ]: "1" },
  });
  try {
    const archive = await readAll(
      await container.getArchive({ path: filePath }).catch((error: unknown) => {
        if ((error as { statusCode?: number }).statusCode === 404)
          throw new ImageFileMissingError(`${image} has no ${filePath}`);
        throw error;
      }),
    );
    const file = fileFromTar(archive);
    if (file.length > maxBytes) throw new Error(`${filePath} in ${image} is over ${maxBytes} bytes`);
    return file;
  } finally {
    await container.remove({ force: true });
  }
}

/** The contents of the first regular file in a tar archive. */
export function fileFromTar(archive: Buffer): Buffer {
  let offset = 0;
  while (offset + TAR_BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + TAR_BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = Number.parseInt(header.toString("latin1", 124, 136).replace(/\0.*$/s, "").trim() || "0", 8);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error("a tar header has no valid size");
    const type = header.toString("latin1", 156, 157);
    const start = offset + TAR_BLOCK;
    if (start + size > archive.length) throw new Error("the tar archive ends inside a file");
    if (REGULAR_FILE_TYPES.has(type)) return archive.subarray(start, start + size);
    if (!PAX_TYPES.has(type)) throw new Error(`the tar archive holds a '${type}' entry, not a file`);
    offset = start + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
  throw new Error("the tar archive holds no file");
}
