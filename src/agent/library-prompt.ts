/**
 * The system prompt's paragraph on what the sandbox has, written from the image's own census
 * (sandbox-libraries.ts), so the model neither misses a library that is there nor reaches for
 * `pip install` when one is not.
 */
import type { SandboxLibraries } from "../sandbox/sandbox-libraries.ts";

const NO_NETWORK =
  "There is no internet access: nothing can be downloaded, and `pip install` cannot work. If a request " +
  "needs a library that is not installed, say so plainly and offer what the sandbox can do instead.";

function pythonValue(value: unknown): string {
  if (typeof value === "boolean") return value ? "True" : "False";
  if (Array.isArray(value)) return `[${value.map(pythonValue).join(", ")}]`;
  if (typeof value === "string") return `'${value}'`;
  return String(value);
}

export function describeLibraries(libraries: SandboxLibraries | null): string {
  // Without a census (an older image, or an engine that did not answer), the model is told to check.
  if (!libraries) return `${NO_NETWORK} Check that a library imports before building an answer on it.`;
  const groups = libraries.groups
    .filter((group) => group.libraries.length > 0)
    .map((group) => `- ${group.title}: ${group.libraries.map((l) => `${l.name} ${l.version}`).join(", ")}`);
  const tools = libraries.tools.map(
    (tool) => `- ${tool.command}${tool.version ? ` ${tool.version}` : ""}: ${tool.use}`,
  );
  const missing = libraries.unavailable.map((entry) => `- ${entry.name}: ${entry.instead}`);
  const defaults = Object.entries(libraries.plottingDefaults).map(
    ([key, value]) => `${key}=${pythonValue(value)}`,
  );
  return [
    NO_NETWORK,
    `Installed, with Python ${libraries.python} and its standard library:\n${groups.join("\n")}`,
    `Programs (call them with subprocess):\n${tools.join("\n")}`,
    ...(libraries.seabornDatasets.length > 0
      ? [
          `seaborn.load_dataset() works offline for: ${libraries.seabornDatasets.join(", ")}; no other dataset.`,
        ]
      : []),
    `Not installed:\n${missing.join("\n")}`,
    ...(defaults.length > 0
      ? [`matplotlib settings here that differ from matplotlib's defaults: ${defaults.join(", ")}.`]
      : []),
  ].join("\n");
}
