import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Dockerode from "dockerode";
import { afterEach, describe, expect, it } from "vitest";
import { FatalError } from "../../src/errors.ts";
import { silentLogger } from "../../src/logger.ts";
import { ensureSandboxImage } from "../../src/sandbox/image-builder.ts";
import { computeSandboxImageTag } from "../../src/sandbox/image-tag.ts";

/** The slice of Dockerode the "already built" path uses, over a set of image refs. */
function fakeDocker(images: Set<string>, options: { down?: boolean } = {}) {
  const tagged: string[] = [];
  const docker = {
    getImage: (ref: string) => ({
      inspect: async () => {
        if (options.down)
          throw Object.assign(new Error("connect ENOENT /var/run/docker.sock"), { code: "ENOENT" });
        if (!images.has(ref)) throw Object.assign(new Error("no such image"), { statusCode: 404 });
        return { Id: `sha256:${ref}` };
      },
      tag: async ({ repo, tag }: { repo: string; tag: string }) => {
        images.add(`${repo}:${tag}`);
        tagged.push(`${ref} -> ${repo}:${tag}`);
      },
    }),
  };
  return { docker: docker as unknown as Dockerode, tagged };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function context(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "cib-image-builder-"));
  dirs.push(dir);
  await writeFile(path.join(dir, "Dockerfile"), "FROM scratch\n");
  return dir;
}

describe("ensureSandboxImage", () => {
  it("returns the image for the context's tag without building when it exists", async () => {
    const dir = await context();
    const ref = `test-sandbox:${await computeSandboxImageTag(dir)}`;
    const { docker, tagged } = fakeDocker(new Set([ref]));
    const image = await ensureSandboxImage({
      docker,
      contextDir: dir,
      repository: "test-sandbox",
      logger: silentLogger(),
    });
    expect(image).toEqual({ ref, built: false });
    expect(tagged).toEqual([`${ref} -> test-sandbox:latest`]);
  });

  it("says how to start Docker when the daemon does not answer", async () => {
    const dir = await context();
    const { docker } = fakeDocker(new Set(), { down: true });
    const ensuring = ensureSandboxImage({
      docker,
      contextDir: dir,
      repository: "test-sandbox",
      logger: silentLogger(),
    });
    await expect(ensuring).rejects.toBeInstanceOf(FatalError);
    await expect(ensuring).rejects.toThrow(/cannot reach the Docker daemon.*ensure-docker\.sh/);
  });
});
