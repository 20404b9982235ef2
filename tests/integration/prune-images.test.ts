import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { pruneSupersededTags } from "../../src/sandbox/prune-images.ts";
import { sandboxImage, testDocker } from "../helpers/sandbox.ts";

describe("pruneSupersededTags", () => {
  it("untags superseded builds and keeps the current ones", async () => {
    const docker = testDocker();
    const image = docker.getImage(await sandboxImage());
    const repo = "cib-prune-test";
    for (const tag of ["old1", "old2", "current"]) await image.tag({ repo, tag });
    try {
      const removed = await pruneSupersededTags(docker, repo, [`${repo}:current`], silentLogger());
      expect(removed.sort()).toEqual([`${repo}:old1`, `${repo}:old2`]);
      const left = (await docker.listImages({ filters: { reference: [repo] } })).flatMap(
        (i) => i.RepoTags ?? [],
      );
      expect(left).toEqual([`${repo}:current`]);
    } finally {
      await docker
        .getImage(`${repo}:current`)
        .remove()
        .catch(() => undefined);
    }
  });
});
