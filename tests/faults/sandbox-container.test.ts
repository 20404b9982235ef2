/**
 * Issue #11, the sandbox container: a conversation's container is killed or removed while its
 * code runs, or killed while it waits for the next message. The bot keeps answering, the person
 * is told in the thread what happened and what was kept, the file of a finished run comes back,
 * the loss of variables is said (and true: they are pickled only when a session is suspended),
 * and the next message runs in a new container.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FaultBot,
  FaultThread,
  printBotLogOnFailure,
  startFaultBot,
} from "../helpers/container-fault-thread.ts";
import { testDocker } from "../helpers/sandbox.ts";

const docker = testDocker();
let bot: FaultBot;
printBotLogOnFailure(() => bot);

/** A finished run that leaves a file and a variable behind. */
const SETUP = "open('/mnt/data/notes.txt', 'w').write('north 120')\ntotal = 42\nprint('saved')";
/** A run that shows it has started (a file the test can see) and then blocks. */
const BLOCKING = "open('/mnt/data/marker.txt', 'w').write('started')\nimport time\ntime.sleep(300)";
/** What the next message looks at: the files in /mnt/data, and whether `total` survived. */
const CHECK =
  "import os\nprint(sorted(os.listdir('/mnt/data')), open('/mnt/data/notes.txt').read(), globals().get('total'))";

const LOST_MID_RUN =
  ":information_source: The sandbox stopped unexpectedly while this code was running (the sandbox container " +
  "stopped), so the run did not finish; a new sandbox starts with the next run: variables and imports are " +
  "gone; the files in /mnt/data from finished runs are kept and come back with it; what this run wrote is lost.";
const NEW_SANDBOX_AFTER_LOST_RUN =
  ":information_source: This conversation's sandbox had stopped, so a new one was started: variables and " +
  "imports from before are gone; 1 file(s) in /mnt/data (9 bytes) from the last finished run were restored.";
const LOST_WHILE_IDLE =
  ":information_source: The sandbox stopped unexpectedly (the sandbox container stopped) and a new one was " +
  "started: variables and imports are gone; 1 file(s) in /mnt/data (9 bytes) from the last finished run were restored.";

beforeAll(async () => {
  // A time limit far past the test's waits, so only the injected fault ends the blocking run.
  bot = await startFaultBot({ executionTimeoutMs: 600_000 });
}, 900_000);

afterAll(async () => {
  await bot?.close();
});

/** A thread with a file kept and a variable set, whose next run is now blocked in its code. */
async function threadWithRunningCode() {
  const thread = await FaultThread.start(bot, SETUP);
  expect(thread.texts().join("\n")).toContain("saved");
  // Copied out after the answer; a fault before that would lose it, which is not this test.
  await thread.waitUntilKept("notes.txt");
  const container = docker.getContainer(await thread.containerName());
  const containerId = (await container.inspect()).Id;
  const before = thread.texts().length;
  const running = await thread.send(BLOCKING);
  await thread.waitForFileInSandbox("marker.txt");
  return { thread, container, containerId, before, running };
}

/** The next message runs in a new container, finds the file from before, and not the variable. */
async function expectNextMessageWorks(thread: FaultThread, oldContainerId: string): Promise<string[]> {
  const before = thread.texts().length;
  const next = await thread.send(CHECK);
  const { mark, texts } = await thread.answer(next, before);
  expect(mark).toBe("done");
  // marker.txt was written by the run that was cut off: it is lost, as the notice said.
  expect(texts[0]).toMatch(
    /:white_check_mark: Ran in [\d.]+ s\.\n```\n\['notes\.txt'\] north 120 None\n```$/,
  );
  const container = await docker.getContainer(await thread.containerName()).inspect();
  expect(container.Id).not.toBe(oldContainerId);
  expect(container.State.Running).toBe(true);
  return texts.slice(1);
}

describe("the sandbox container fails", () => {
  it("killed during a run: the run is said to be cut off, the files kept, the variables gone", async () => {
    const { thread, container, containerId, before, running } = await threadWithRunningCode();
    await container.kill();
    const { mark, texts } = await thread.answer(running, before);
    // A lost run is a result told in the thread, not a failed request.
    expect(mark).toBe("done");
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain("time.sleep(300)");
    expect(texts[0]).toMatch(/:boom: The sandbox stopped during the run\.$/);
    expect(texts[1]).toBe(LOST_MID_RUN);
    expect(await expectNextMessageWorks(thread, containerId)).toEqual([NEW_SANDBOX_AFTER_LOST_RUN]);
  });

  it("removed during a run (docker rm -f): the same, and the next message gets a new container", async () => {
    const { thread, container, containerId, before, running } = await threadWithRunningCode();
    await container.remove({ force: true });
    const { mark, texts } = await thread.answer(running, before);
    expect(mark).toBe("done");
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(/:boom: The sandbox stopped during the run\.$/);
    expect(texts[1]).toBe(LOST_MID_RUN);
    expect(await expectNextMessageWorks(thread, containerId)).toEqual([NEW_SANDBOX_AFTER_LOST_RUN]);
  });

  it("killed while idle between messages: the next message says so, and runs", async () => {
    const thread = await FaultThread.start(bot, SETUP);
    await thread.waitUntilKept("notes.txt");
    const container = docker.getContainer(await thread.containerName());
    const containerId = (await container.inspect()).Id;
    await container.kill();
    // Until Docker reports the container gone, the next message could still reach it.
    await container.wait();
    expect(await expectNextMessageWorks(thread, containerId)).toEqual([LOST_WHILE_IDLE]);
  });
});
