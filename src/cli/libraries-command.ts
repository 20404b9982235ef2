/** `code-interpreter-bot libraries`: what the sandbox image has installed, with versions. */
import { parseArgs } from "node:util";
import { FatalError } from "../errors.ts";
import type { SandboxLibraries } from "../sandbox/sandbox-libraries.ts";
import type { SandboxManager } from "../sandbox/session-manager.ts";
import type { CliIo } from "./exec-command.ts";

function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd());
}

export function formatLibraries(image: string, libraries: SandboxLibraries): string {
  const lines = [`Sandbox image ${image}: Python ${libraries.python}`, ""];
  for (const group of libraries.groups) {
    lines.push(group.title, ...table(group.libraries.map((l) => [l.name, l.version])), "");
  }
  lines.push(
    "Programs",
    ...table(libraries.tools.map((t) => [`${t.command} ${t.version}`.trim(), t.use])),
    "",
  );
  lines.push(`seaborn datasets that load offline: ${libraries.seabornDatasets.join(", ") || "none"}`, "");
  lines.push("Not installed", ...table(libraries.unavailable.map((u) => [u.name, u.instead])), "");
  lines.push(
    "Plotting defaults that differ from matplotlib's",
    ...table(Object.entries(libraries.plottingDefaults).map(([key, value]) => [key, JSON.stringify(value)])),
    "",
  );
  lines.push(
    `Every Python distribution installed (${libraries.distributions.length})`,
    ...table(libraries.distributions.map((d) => [d.name, d.version])),
  );
  return `${lines.join("\n")}\n`;
}

export async function librariesCommand(args: string[], manager: SandboxManager, io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: "boolean", default: false } } });
  const libraries = await manager.libraries();
  if (!libraries) {
    throw new FatalError(
      "libraries_unreadable",
      `could not read ${manager.runtime.image}'s library census (the log says why; an image built ` +
        "before the census existed has none: rebuild it with npm run sandbox:build)",
    );
  }
  io.stdout.write(
    values.json
      ? `${JSON.stringify({ image: manager.runtime.image, ...libraries }, null, 2)}\n`
      : formatLibraries(manager.runtime.image, libraries),
  );
  return 0;
}
