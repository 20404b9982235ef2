/**
 * Untags sandbox images that a newer build superseded, so upgrades do not pile up tags.
 * Only tags are removed (never forced): an image a running sandbox still uses stays, and
 * the layers the tags share cost nothing extra anyway.
 */
import type Dockerode from "dockerode";
import type { Logger } from "../logger.ts";

export async function pruneSupersededTags(
  docker: Dockerode,
  repository: string,
  keep: string[],
  logger: Logger,
): Promise<string[]> {
  const removed: string[] = [];
  let images: Dockerode.ImageInfo[];
  try {
    images = await docker.listImages({ filters: { reference: [repository] } });
  } catch (error) {
    logger.debug({ err: error }, "could not list sandbox images to prune");
    return removed;
  }
  const tags = images
    .flatMap((image) => image.RepoTags ?? [])
    .filter((tag) => tag.startsWith(`${repository}:`));
  for (const tag of tags) {
    if (keep.includes(tag)) continue;
    try {
      await docker.getImage(tag).remove({ noprune: false });
      removed.push(tag);
    } catch (error) {
      // In use by a container, or already gone: leave it.
      logger.debug({ err: error, tag }, "kept a sandbox image tag");
    }
  }
  if (removed.length > 0) logger.info({ removed }, "removed superseded sandbox image tags");
  return removed;
}
