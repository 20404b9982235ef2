/**
 * Issue #11, the Docker engine restarts (an upgrade, `systemctl restart docker`): dockerd is
 * really stopped and started again on this machine, which stops every container it runs. During
 * a run, the person is told the run was cut off; a message sent while the engine is down is
 * told plainly that Docker cannot be reached; while idle, nothing is said until the next
 * message. Either way the next message runs in a new container with the kept files back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FaultBot,
  FaultThread,
  printBotLogOnFailure,
  startFaultBot,
} from "../helpers/container-fault-thread.ts";
import { startDockerd, stopDockerd } from "../helpers/dockerd.ts";

let bot: FaultBot;
printBotLogOnFailure(() => bot);

const SETUP = "open('/mnt/data/notes.txt', 'w').write('north 120')\ntotal = 42\nprint('saved')";
const BLOCKING = "open('/mnt/data/marker.txt', 'w').write('started')\nimport time\ntime.sleep(300)";
const CHECK = "import os\nprint(sorted(os.listdir('/mnt/data')), globals().get('total'))";

beforeAll(async () => {
  bot = await startFaultBot({ executionTimeoutMs: 600_000 });
}, 900_000);

afterAll(async () => {
  // Whatever happened above, the engine is left running for the tests after these.
  await startDockerd();
  await bot?.close();
}, 300_000);

async function threadWithKeptFile(): Promise<FaultThread> {
  const thread = await FaultThread.start(bot, SETUP);
  await thread.waitUntilKept("notes.txt");
  return thread;
}

/** The next message runs in a new container: the kept file is back, the variable is not. */
async function expectNextMessageWorks(thread: FaultThread): Promise<string[]> {
  const before = thread.texts().length;
  const { mark, texts } = await thread.answer(await thread.send(CHECK), before);
  expect(mark).toBe("done");
  expect(texts[0]).toMatch(/```\n\['notes\.txt'\] None\n```$/);
  return texts.slice(1);
}

describe("the Docker engine restarts", () => {
  it("during a run: the run is cut off and said so, the outage is explained, the files come back", async () => {
    const thread = await threadWithKeptFile();
    const before = thread.texts().length;
    const running = await thread.send(BLOCKING);
    await thread.waitForFileInSandbox("marker.txt");
    await stopDockerd();
    let cutOff: string[];
    let duringOutage: { mark: string; texts: string[] };
    try {
      cutOff = (await thread.answer(running, before)).texts;
      const sentAt = thread.texts().length;
      duringOutage = await thread.answer(await thread.send("print('while Docker is down')"), sentAt);
    } finally {
      await startDockerd();
    }
    expect(cutOff.join("\n")).toContain(
      "The sandbox stopped unexpectedly while this code was running (the sandbox container stopped), so the run did not finish",
    );
    expect(duringOutage.mark).toBe("failed");
    // Told what happened and that nothing is lost; the commands to run are for the admin's log.
    expect(duringOutage.texts.at(-1)).toMatch(
      /^:warning: I can't run code right now: the bot cannot reach Docker, which runs the code\. Nothing was lost .* Reference for the admin: r-/,
    );
    const notices = await expectNextMessageWorks(thread);
    expect(notices.join("\n")).toMatch(/from the last finished run were restored/);
  });

  it("while idle: the next message says the sandbox was replaced, and runs with the files", async () => {
    const thread = await threadWithKeptFile();
    await stopDockerd();
    await startDockerd();
    const notices = await expectNextMessageWorks(thread);
    expect(notices.join("\n")).toMatch(
      /The sandbox stopped unexpectedly .* a new one was started: variables and imports are gone; 1 file\(s\) in \/mnt\/data \(9 bytes\) from the last finished run were restored\./,
    );
  });
});
