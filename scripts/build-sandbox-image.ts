/**
 * Builds the sandbox image for the current sandbox-image/ directory (npm run sandbox:build).
 *
 *   tsx scripts/build-sandbox-image.ts [--force] [--repository NAME] [--debian-mirror URL]
 *
 * Prints the build's output, then the image reference on the last line.
 * Settings come from the environment through src/config.ts (DOCKER_HOST, LOG_LEVEL,
 * SANDBOX_DEBIAN_MIRROR); --debian-mirror overrides the mirror, which is only used when the base
 * image has to be made with debootstrap because Docker Hub cannot be reached.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Dockerode from "dockerode";
import { loadConfig } from "../src/config.ts";
import { errorMessage } from "../src/errors.ts";
import { createLogger } from "../src/logger.ts";
import { ensureSandboxImage } from "../src/sandbox/image-builder.ts";
import { DEFAULT_SANDBOX_REPOSITORY } from "../src/sandbox/image-tag.ts";
import { abortOnInterrupt } from "./interrupt.ts";

const { values } = parseArgs({
  options: {
    force: { type: "boolean", default: false },
    repository: { type: "string", default: DEFAULT_SANDBOX_REPOSITORY },
    "debian-mirror": { type: "string" },
  },
});

const signal = abortOnInterrupt("the build");

const started = Date.now();
try {
  const config = loadConfig();
  const image = await ensureSandboxImage({
    docker: new Dockerode(config.docker),
    contextDir: fileURLToPath(new URL("../sandbox-image", import.meta.url)),
    repository: values.repository,
    logger: createLogger({ level: config.logLevel }),
    onProgress: (line) => console.log(line),
    signal,
    force: values.force,
    debianMirror: values["debian-mirror"] ?? config.sandbox.debianMirror,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(image.built ? `built in ${seconds} s:` : "already built:");
  console.log(image.ref);
} catch (error) {
  console.error(`sandbox image build failed: ${errorMessage(error)}`);
  process.exitCode = 1;
}
