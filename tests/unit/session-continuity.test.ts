/**
 * What a conversation's next run is told when its container was lost while the last run's files
 * were still being copied out: the files come back as the run before left them, and the notice
 * says that the last run's changes are lost rather than that they came back.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import type { AttachedContainer } from "../../src/sandbox/container-runtime.ts";
import { KeptFiles } from "../../src/sandbox/kept-files.ts";
import { SessionContinuity } from "../../src/sandbox/session-continuity.ts";
import type { SupervisorClient } from "../../src/sandbox/supervisor-client.ts";
import type { ResultMessage } from "../../src/sandbox/supervisor-protocol.ts";

/** A sandbox's /mnt/data as the supervisor client shows it; `stop()` makes every read fail as a lost container's. */
function fakeSandbox(files: Record<string, string>) {
  let broken: string | null = null;
  const client = {
    get broken() {
      return broken;
    },
    getFile: async (name: string) => {
      if (broken) throw new Error(broken);
      const text = files[name];
      if (text === undefined) throw new Error(`no ${name}`);
      return Buffer.from(text);
    },
    listFiles: async () =>
      Object.entries(files).map(([name, text]) => ({ path: name, size: text.length, mime: "text/plain" })),
    putFile: async (name: string, data: Buffer) => {
      files[name] = data.toString();
    },
  };
  return {
    files,
    client: client as unknown as SupervisorClient,
    stop: () => {
      broken = "the sandbox container stopped";
    },
  };
}

function resultChanging(...names: string[]): ResultMessage {
  return {
    files: names.map((name) => ({ path: name, size: 1, mime: "text/plain" })),
    moreFiles: 0,
    removedFiles: [],
    moreRemovedFiles: 0,
  } as unknown as ResultMessage;
}

function container(client: SupervisorClient): AttachedContainer {
  return { id: "c2", name: "c2", host: "docker", client, adopted: false, imageId: "sha256:x" };
}

/** A conversation whose first sandbox ran once and had `a.csv` kept on the host. */
async function afterKeptRun() {
  const root = await mkdtemp(path.join(tmpdir(), "cib-continuity-"));
  const continuity = new SessionContinuity(new KeptFiles(root, "k", silentLogger()), 1 << 20, silentLogger());
  const first = fakeSandbox({ "a.csv": "1" });
  await continuity.changesToKeep(resultChanging("a.csv"), first.client)?.();
  return { continuity, first };
}

describe("the notice after a lost container", () => {
  it("says the last run's changes are lost when its container went before they were copied out", async () => {
    const { continuity, first } = await afterKeptRun();
    first.files["b.csv"] = "2";
    first.stop();
    await expect(continuity.changesToKeep(resultChanging("b.csv"), first.client)?.()).rejects.toThrow();

    continuity.noteLoss("the sandbox container stopped");
    const second = fakeSandbox({});
    await continuity.prepare(container(second.client));
    expect(second.files).toEqual({ "a.csv": "1" });
    const { notices, filesLost } = continuity.takeStartNotices();
    expect(notices).toEqual([
      "The sandbox stopped unexpectedly (the sandbox container stopped) and a new one was started: variables and imports are gone; " +
        "1 file(s) in /mnt/data (1 byte) as the run before the last left them were restored. " +
        "What the last run changed in /mnt/data had not been copied out of the sandbox when it stopped, and is lost.",
    ]);
    expect(filesLost).toBe(true);
  });

  it("says the files come from the last finished run when its changes were copied out", async () => {
    const { continuity, first } = await afterKeptRun();
    first.stop();
    continuity.noteLoss("the sandbox container stopped");
    await continuity.prepare(container(fakeSandbox({}).client));
    expect(continuity.takeStartNotices()).toEqual({
      notices: [
        "The sandbox stopped unexpectedly (the sandbox container stopped) and a new one was started: variables and imports are gone; " +
          "1 file(s) in /mnt/data (1 byte) from the last finished run were restored.",
      ],
      filesLost: false,
    });
  });
});
