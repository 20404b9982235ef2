/**
 * The sandbox image's library census, read from the image once and kept: the image a process
 * runs does not change under it (a rebuilt image comes with a new bot start).
 */
import type { Logger } from "../logger.ts";
import {
  LIBRARIES_PATH,
  LibrariesFileError,
  MAX_LIBRARIES_BYTES,
  parseSandboxLibraries,
  type SandboxLibraries,
} from "./sandbox-libraries.ts";
import { ImageFileMissingError, type SandboxRuntime } from "./sandbox-runtime.ts";

export class ImageLibraries {
  private known: Promise<SandboxLibraries | null> | undefined;

  constructor(
    private readonly runtime: Pick<SandboxRuntime, "image" | "readImageFile">,
    private readonly logger: Logger,
  ) {}

  /** Null when the backend cannot open images, or the file is missing or not a census. */
  read(): Promise<SandboxLibraries | null> {
    this.known ??= this.load();
    return this.known;
  }

  private async load(): Promise<SandboxLibraries | null> {
    const { runtime, logger } = this;
    if (!runtime.readImageFile) return null;
    try {
      const text = (await runtime.readImageFile(LIBRARIES_PATH, MAX_LIBRARIES_BYTES)).toString("utf8");
      return parseSandboxLibraries(text);
    } catch (error) {
      const missing = error instanceof ImageFileMissingError;
      const broken = error instanceof LibrariesFileError;
      logger.warn(
        { err: error, image: runtime.image, path: LIBRARIES_PATH },
        missing
          ? "the sandbox image has no library census (built before there was one?): the model is not told what is installed"
          : broken
            ? "the sandbox image's library census is not valid: the model is not told what is installed"
            : "could not read the sandbox image's library census; trying again with the next request",
      );
      // An engine that did not answer may answer next time; a missing or broken file stays so.
      if (!missing && !broken) this.known = undefined;
      return null;
    }
  }
}
