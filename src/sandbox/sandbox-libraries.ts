/**
 * What the sandbox image has installed, as its build wrote it (sandbox-image/build/census.py):
 * libraries by purpose with versions, command-line tools, seaborn's offline datasets, what is
 * missing on purpose, and the plotting defaults that differ from matplotlib's. The model's
 * system prompt and `code-interpreter-bot libraries` read it, so neither says more than the
 * image has. The file comes out of an image, so it is checked before it is believed.
 */
import { isJsonObject, type JsonObject } from "../json-object.ts";

export const LIBRARIES_PATH = "/opt/sandbox/libraries.json";
/** The census is a few kilobytes; anything far larger is not one. */
export const MAX_LIBRARIES_BYTES = 1024 * 1024;

export interface InstalledLibrary {
  /** As people know it, with the import name where it differs: "scikit-learn (sklearn)". */
  name: string;
  import: string;
  version: string;
}

export interface SandboxLibraries {
  python: string;
  groups: { title: string; libraries: InstalledLibrary[] }[];
  tools: { command: string; version: string; use: string }[];
  seabornDatasets: string[];
  unavailable: { name: string; instead: string }[];
  /** matplotlib rcParams whose value here is not matplotlib's default. */
  plottingDefaults: JsonObject;
  /** Every Python distribution installed, dependencies included. */
  distributions: { name: string; version: string }[];
}

export class LibrariesFileError extends Error {}

function strings<K extends string>(value: unknown, keys: readonly K[], where: string): Record<K, string> {
  if (!isJsonObject(value)) throw new LibrariesFileError(`${where} is not an object`);
  for (const key of keys) {
    if (typeof value[key] !== "string") throw new LibrariesFileError(`${where}.${key} is not a string`);
  }
  return value as Record<K, string>;
}

function list<T>(value: unknown, where: string, item: (entry: unknown, where: string) => T): T[] {
  if (!Array.isArray(value)) throw new LibrariesFileError(`${where} is not a list`);
  return value.map((entry, index) => item(entry, `${where}[${index}]`));
}

export function parseSandboxLibraries(text: string): SandboxLibraries {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LibrariesFileError(`not JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(json)) throw new LibrariesFileError("the census is not an object");
  const { python } = strings(json, ["python"], "census");
  if (!isJsonObject(json.plottingDefaults)) throw new LibrariesFileError("plottingDefaults is not an object");
  return {
    python,
    groups: list(json.groups, "groups", (group, where) => ({
      title: strings(group, ["title"], where).title,
      libraries: list((group as JsonObject).libraries, `${where}.libraries`, (library, at) =>
        pick(strings(library, ["name", "import", "version"], at), ["name", "import", "version"]),
      ),
    })),
    tools: list(json.tools, "tools", (tool, where) =>
      pick(strings(tool, ["command", "version", "use"], where), ["command", "version", "use"]),
    ),
    seabornDatasets: list(json.seabornDatasets, "seabornDatasets", (name, where) => {
      if (typeof name !== "string") throw new LibrariesFileError(`${where} is not a string`);
      return name;
    }),
    unavailable: list(json.unavailable, "unavailable", (entry, where) =>
      pick(strings(entry, ["name", "instead"], where), ["name", "instead"]),
    ),
    plottingDefaults: json.plottingDefaults,
    distributions: list(json.distributions, "distributions", (entry, where) =>
      pick(strings(entry, ["name", "version"], where), ["name", "version"]),
    ),
  };
}

/** Only the checked fields, so nothing else in the file travels on into a prompt. */
function pick<K extends string>(object: Record<K, string>, keys: readonly K[]): Record<K, string> {
  return Object.fromEntries(keys.map((key) => [key, object[key]])) as Record<K, string>;
}
