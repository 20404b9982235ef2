/**
 * Builds the bot's image, the one compose.yaml runs (npm run bot-image:build).
 *
 *   tsx scripts/build-bot-image.ts [--tag NAME] [--debian-mirror URL] [--ca-certs FILE]
 *
 * Prints the build's output, then the image reference on the last line. Settings come from the
 * environment through src/config.ts (DOCKER_HOST, LOG_LEVEL, SANDBOX_DEBIAN_MIRROR); the mirror
 * is only used when the Debian trixie base has to be made with debootstrap because Docker Hub
 * cannot be reached (that needs root and debootstrap). Unchanged sources rebuild from Docker's
 * cache in seconds. npm in the build trusts the certificates of --ca-certs (by default
 * NODE_EXTRA_CA_CERTS, else the system's bundle) that Node does not know, which a network whose
 * proxy inspects TLS needs.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Dockerode from "dockerode";
import { loadConfig } from "../src/config.ts";
import { errorMessage } from "../src/errors.ts";
import { createLogger } from "../src/logger.ts";
import { buildBotImage, DEFAULT_BOT_IMAGE, hostCaCertsFile } from "./bot-image.ts";
import { abortOnInterrupt } from "./interrupt.ts";

const { values } = parseArgs({
  options: {
    tag: { type: "string", default: DEFAULT_BOT_IMAGE },
    "debian-mirror": { type: "string" },
    "ca-certs": { type: "string" },
  },
});

const signal = abortOnInterrupt("the build");

try {
  const config = loadConfig();
  const image = await buildBotImage({
    docker: new Dockerode(config.docker),
    contextDir: fileURLToPath(new URL("..", import.meta.url)),
    ref: values.tag,
    logger: createLogger({ level: config.logLevel }),
    onProgress: (line) => console.log(line),
    signal,
    debianMirror: values["debian-mirror"] ?? config.sandbox.debianMirror,
    // Not the bot's settings: what this host trusts, the build's npm trusts.
    caCertsFile: values["ca-certs"] ?? hostCaCertsFile(process.env),
  });
  console.log(`built on ${image.base} in ${image.seconds.toFixed(1)} s:`);
  console.log(image.ref);
} catch (error) {
  console.error(`bot image build failed: ${errorMessage(error)}`);
  process.exitCode = 1;
}
