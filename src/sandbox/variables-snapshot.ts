/**
 * A conversation's Python variables across containers: before a session is suspended, its
 * namespace is pickled with dill inside the sandbox (one variable at a time, so one that cannot
 * be kept is named instead of spoiling the rest), and the next container loads it back.
 * Imports are kept as module names and imported again. The pickle is only ever loaded inside
 * the sandbox it belongs to, never by the bot.
 */
import type { SupervisorClient } from "./supervisor-client.ts";

/** Inside the sandbox, hidden from file listings (the walk skips dot folders). */
export const STATE_PATH = ".cib/state.dill";

export interface SnapshotSummary {
  kept: string[];
  modules: string[];
  /** Name and type of each variable that could not be kept. */
  skipped: Array<[string, string]>;
}

export interface RestoreSummaryOfVariables {
  restored: string[];
  modules: string[];
  /** Name and why, for each variable that could not be loaded back. */
  failed: Array<[string, string]>;
}

const SNAPSHOT = `
def __cib_snapshot():
    import dill, json, os, types
    shell = get_ipython()
    hidden = set(shell.user_ns_hidden) | {"In", "Out", "exit", "quit", "get_ipython", "input"}
    values, modules, skipped = {}, {}, []
    for name, value in list(shell.user_ns.items()):
        if name.startswith("_") or name in hidden:
            continue
        if isinstance(value, types.ModuleType):
            modules[name] = value.__name__
            continue
        try:
            values[name] = dill.dumps(value, recurse=True)
        except Exception:
            skipped.append([name, type(value).__name__])
    os.makedirs("/mnt/data/.cib", exist_ok=True)
    with open("/mnt/data/${STATE_PATH}", "wb") as handle:
        dill.dump({"values": values, "modules": modules}, handle)
    print(json.dumps({"kept": sorted(values), "modules": sorted(modules), "skipped": skipped}))
__cib_snapshot()
del __cib_snapshot
`;

const RESTORE = `
def __cib_restore():
    import dill, importlib, json, os
    path = "/mnt/data/${STATE_PATH}"
    with open(path, "rb") as handle:
        state = dill.load(handle)
    os.remove(path)
    namespace = get_ipython().user_ns
    restored, modules, failed = [], [], []
    for name, module in state["modules"].items():
        try:
            namespace[name] = importlib.import_module(module)
            modules.append(name)
        except Exception as error:
            failed.append([name, "import %s failed: %s" % (module, type(error).__name__)])
    for name, blob in state["values"].items():
        try:
            namespace[name] = dill.loads(blob)
            restored.append(name)
        except Exception as error:
            failed.append([name, type(error).__name__])
    print(json.dumps({"restored": sorted(restored), "modules": sorted(modules), "failed": failed}))
__cib_restore()
del __cib_restore
`;

async function runQuietly(client: SupervisorClient, code: string, timeoutMs: number): Promise<string> {
  let stdout = "";
  const run = client.run({
    code,
    timeoutMs,
    graceMs: 2_000,
    outputLimitBytes: 1024 * 1024,
    onOutput: (event) => {
      if (event.type === "stdout") stdout += event.text;
    },
  });
  const result = await run.done;
  if (result.status !== "ok") {
    throw new Error(`${result.error ? `${result.error.name}: ${result.error.value}` : result.status}`);
  }
  return stdout;
}

function lastJsonLine(stdout: string): unknown {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line);
}

function pairs(value: unknown): Array<[string, string]> {
  if (!Array.isArray(value)) return [];
  return value.flatMap(
    (item): Array<[string, string]> =>
      Array.isArray(item) && typeof item[0] === "string" && typeof item[1] === "string"
        ? [[item[0], item[1]]]
        : [],
  );
}

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** Pickles the namespace into the sandbox's STATE_PATH; the caller copies it out. */
export async function snapshotVariables(
  client: SupervisorClient,
  timeoutMs: number,
): Promise<SnapshotSummary> {
  const parsed = lastJsonLine(await runQuietly(client, SNAPSHOT, timeoutMs)) as Record<string, unknown>;
  return { kept: names(parsed.kept), modules: names(parsed.modules), skipped: pairs(parsed.skipped) };
}

/** Loads a namespace put at STATE_PATH back into the kernel. */
export async function restoreVariables(
  client: SupervisorClient,
  timeoutMs: number,
): Promise<RestoreSummaryOfVariables> {
  const parsed = lastJsonLine(await runQuietly(client, RESTORE, timeoutMs)) as Record<string, unknown>;
  return { restored: names(parsed.restored), modules: names(parsed.modules), failed: pairs(parsed.failed) };
}
