import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeLibraries } from "../../src/agent/library-prompt.ts";
import { formatLibraries } from "../../src/cli/libraries-command.ts";
import { silentLogger } from "../../src/logger.ts";
import { fileFromTar } from "../../src/sandbox/image-file.ts";
import { ImageLibraries } from "../../src/sandbox/image-libraries.ts";
import { LibrariesFileError, parseSandboxLibraries } from "../../src/sandbox/sandbox-libraries.ts";
import { ImageFileMissingError } from "../../src/sandbox/sandbox-runtime.ts";

const CENSUS = {
  python: "3.11.2",
  groups: [
    {
      title: "Data and statistics",
      libraries: [
        { name: "pandas", import: "pandas", version: "1.5.3", extra: "dropped" },
        { name: "PyYAML (yaml)", import: "yaml", version: "6.0" },
      ],
    },
    { title: "Empty", libraries: [] },
  ],
  tools: [{ command: "tesseract", version: "5.3.0", use: "OCR of images" }],
  seabornDatasets: ["iris", "tips"],
  unavailable: [{ name: "tensorflow and keras", instead: "use torch" }],
  plottingDefaults: { "axes.grid": true, "figure.figsize": [8, 5], "font.sans-serif": ["DejaVu Sans"] },
  distributions: [{ name: "pandas", version: "1.5.3" }],
};

describe("parseSandboxLibraries", () => {
  it("keeps only the fields it checked", () => {
    const libraries = parseSandboxLibraries(JSON.stringify(CENSUS));
    expect(libraries.groups[0]?.libraries[0]).toEqual({ name: "pandas", import: "pandas", version: "1.5.3" });
    expect(libraries.seabornDatasets).toEqual(["iris", "tips"]);
  });

  it.each([
    ["not JSON", "{", /not JSON/],
    ["a list", "[]", /not an object/],
    [
      "a version that is a number",
      JSON.stringify({ ...CENSUS, python: 3 }),
      /census\.python is not a string/,
    ],
    [
      "a library without a version",
      JSON.stringify({ ...CENSUS, groups: [{ title: "t", libraries: [{ name: "x", import: "x" }] }] }),
      /groups\[0\]\.libraries\[0\]\.version is not a string/,
    ],
    [
      "datasets that are not names",
      JSON.stringify({ ...CENSUS, seabornDatasets: [1] }),
      /seabornDatasets\[0\]/,
    ],
    ["no plotting defaults", JSON.stringify({ ...CENSUS, plottingDefaults: [] }), /plottingDefaults/],
  ])("refuses %s, naming what is wrong", (_what, text, message) => {
    expect(() => parseSandboxLibraries(text)).toThrow(LibrariesFileError);
    expect(() => parseSandboxLibraries(text)).toThrow(message);
  });
});

describe("describeLibraries", () => {
  it("tells the model what is installed, what is not, and the plotting defaults", () => {
    const text = describeLibraries(parseSandboxLibraries(JSON.stringify(CENSUS)));
    expect(text).toContain("`pip install` cannot work");
    expect(text).toContain("Installed, with Python 3.11.2 and its standard library:");
    expect(text).toContain("- Data and statistics: pandas 1.5.3, PyYAML (yaml) 6.0");
    expect(text).not.toContain("Empty");
    expect(text).toContain("- tesseract 5.3.0: OCR of images");
    expect(text).toContain("seaborn.load_dataset() works offline for: iris, tips; no other dataset.");
    expect(text).toContain("- tensorflow and keras: use torch");
    expect(text).toContain("axes.grid=True, figure.figsize=[8, 5], font.sans-serif=['DejaVu Sans']");
  });

  it("without a census, still says there is no network and asks the model to check", () => {
    const text = describeLibraries(null);
    expect(text).toContain("no internet access");
    expect(text).toContain("Check that a library imports");
  });
});

describe("formatLibraries", () => {
  it("lines up names and versions under each group", () => {
    const text = formatLibraries("sandbox:abc", parseSandboxLibraries(JSON.stringify(CENSUS)));
    expect(text).toContain("Sandbox image sandbox:abc: Python 3.11.2");
    expect(text).toContain("  pandas         1.5.3\n  PyYAML (yaml)  6.0\n");
    expect(text).toContain("Every Python distribution installed (1)");
  });
});

describe("fileFromTar", () => {
  function tarOf(name: string, contents: string, format: string): Buffer {
    const dir = mkdtempSync(path.join(tmpdir(), "cib-tar-"));
    writeFileSync(path.join(dir, name), contents);
    return execFileSync("tar", [`--format=${format}`, "-C", dir, "-cf", "-", name]);
  }

  it.each(["ustar", "pax"])("reads the file of a %s archive", (format) => {
    const long = `${"x".repeat(120)}.json`;
    const name = format === "pax" ? long : "libraries.json";
    expect(fileFromTar(tarOf(name, '{"python":"3.11"}', format)).toString()).toBe('{"python":"3.11"}');
  });

  it("refuses an archive that ends inside its file", () => {
    const archive = tarOf("a.txt", "y".repeat(2000), "ustar");
    expect(() => fileFromTar(archive.subarray(0, 1024))).toThrow(/ends inside a file/);
  });

  it("refuses an archive of a directory", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cib-tar-"));
    const archive = execFileSync("tar", ["--format=ustar", "-C", dir, "-cf", "-", "."]);
    expect(() => fileFromTar(archive)).toThrow(/'5' entry, not a file/);
  });
});

describe("ImageLibraries", () => {
  it("reads the census once, tries again after an engine failure, and gives up on a broken file", async () => {
    const answers: Array<() => Buffer> = [
      () => {
        throw new Error("connect ECONNREFUSED /var/run/docker.sock");
      },
      () => Buffer.from(JSON.stringify(CENSUS)),
    ];
    let reads = 0;
    const working = new ImageLibraries(
      {
        image: "sandbox:abc",
        readImageFile: async () => {
          reads += 1;
          return (answers.shift() ?? (() => Buffer.from("{")))();
        },
      },
      silentLogger(),
    );
    expect(await working.read()).toBeNull();
    expect((await working.read())?.python).toBe("3.11.2");
    expect((await working.read())?.python).toBe("3.11.2");
    expect(reads).toBe(2);

    let brokenReads = 0;
    const broken = new ImageLibraries(
      {
        image: "sandbox:abc",
        readImageFile: async () => {
          brokenReads += 1;
          return Buffer.from("{");
        },
      },
      silentLogger(),
    );
    expect(await broken.read()).toBeNull();
    expect(await broken.read()).toBeNull();
    expect(brokenReads).toBe(1);
  });

  it("gives up at once on an image that has no census, as on a broken one", async () => {
    let reads = 0;
    const older = new ImageLibraries(
      {
        image: "sandbox:older",
        readImageFile: async () => {
          reads += 1;
          throw new ImageFileMissingError("sandbox:older has no /opt/sandbox/libraries.json");
        },
      },
      silentLogger(),
    );
    expect(await older.read()).toBeNull();
    expect(await older.read()).toBeNull();
    expect(reads).toBe(1);
  });

  it("is null where the backend cannot open images", async () => {
    expect(
      await new ImageLibraries({ image: "registry/sandbox@sha256:1" }, silentLogger()).read(),
    ).toBeNull();
  });
});
