import { randomBytes } from "node:crypto";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerSession } from "../../src/sandbox/session.ts";
import type { OutputEvent } from "../../src/sandbox/types.ts";
import { createTestSandbox, type TestSandbox } from "../helpers/sandbox.ts";

let sandbox: TestSandbox;
let session: ContainerSession;

beforeAll(async () => {
  sandbox = await createTestSandbox();
  session = await sandbox.manager.acquire("execution");
  await session.open();
}, 900_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

describe("a sandbox session", () => {
  it("keeps variables and imports between executions, like a notebook", async () => {
    expect((await session.execute("import math\nradius = 2")).status).toBe("ok");
    const run = await session.execute("print(round(math.pi * radius ** 2, 3))");
    expect(run).toMatchObject({ status: "ok", stdout: "12.566\n", error: null });
  });

  it("leaves IPython's terminal and completer unloaded, yet importable", async () => {
    // Each idle container pays for what its kernel loads (BENCHMARKS.md, memory per idle session).
    const loaded = await session.execute(
      "import sys\nprint('prompt_toolkit' in sys.modules, 'jedi' in sys.modules)",
    );
    expect(loaded.stdout).toBe("False False\n");
    const wanted = await session.execute("import jedi, prompt_toolkit\nprint(bool(jedi.__version__))");
    expect(wanted.stdout).toBe("True\n");
    const embed = await session.execute("from IPython import embed\nembed()");
    expect(embed.error?.value).toContain("needs a terminal");
  });

  it("starts a fresh sandbox's first run's time limit when its code starts, not while Python still imports", async () => {
    // A new kernel says it is ready before its background import of numpy, pandas and
    // matplotlib is done (about a second here, several under gVisor), and the first run waits
    // for that import. A limit shorter than the import must still give the code all of it.
    const fresh = await sandbox.manager.acquire("execution-fresh-deadline");
    try {
      const run = await fresh.execute("print('done')", { timeoutMs: 300 });
      expect(run.status, JSON.stringify(run.notices)).toBe("ok");
      expect(run.stdout).toBe("done\n");
    } finally {
      await fresh.close();
    }
  });

  it("shows the value of the last expression, and nothing for a statement", async () => {
    const value = await session.execute("21 * 2");
    expect(value.displays).toEqual([{ isResult: true, text: "42" }]);
    const statement = await session.execute("y = 21 * 2");
    expect(statement.displays).toEqual([]);
  });

  it("streams output while the code runs", async () => {
    const events: OutputEvent[] = [];
    const started = Date.now();
    const arrivals: number[] = [];
    await session.execute("import time\nprint('first', flush=True)\ntime.sleep(0.6)\nprint('second')", {
      onOutput: (event) => {
        events.push(event);
        arrivals.push(Date.now() - started);
      },
    });
    const texts = events.flatMap((e) => (e.type === "stdout" ? [e.text] : []));
    expect(texts.join("")).toBe("first\nsecond\n");
    // The first line arrived before the sleep ended: it was streamed, not sent at the end.
    expect(texts[0]).toBe("first\n");
    expect(arrivals[0]).toBeLessThan((arrivals.at(-1) ?? 0) - 300);
  });

  it("returns a plot as a valid PNG of the figure's size", async () => {
    const run = await session.execute(
      "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9, 16])\nplt.title('squares')\nplt.show()",
    );
    expect(run.status).toBe("ok");
    expect(run.images).toHaveLength(1);
    const meta = await sharp(run.images[0]).metadata();
    expect(meta).toMatchObject({ format: "png", width: 800, height: 500 });
    const sized = await session.execute(
      "fig = plt.figure(figsize=(4, 3), dpi=50)\nplt.bar(['a', 'b'], [3, 5])",
    );
    expect(await sharp(sized.images[0]).metadata()).toMatchObject({ format: "png", width: 200, height: 150 });
  });

  it("gives two images for two figures in one cell, and closes them afterwards", async () => {
    const run = await session.execute(
      "import matplotlib.pyplot as plt\nplt.figure(); plt.plot([1, 2])\nplt.figure(); plt.plot([2, 1])",
    );
    expect(run.images).toHaveLength(2);
    for (const image of run.images) expect((await sharp(image).metadata()).format).toBe("png");
    const next = await session.execute("print(len(plt.get_fignums()))");
    expect(next.stdout).toBe("0\n");
    expect(next.images).toHaveLength(0);
  });

  it("shows PIL images and IPython display() output", async () => {
    const run = await session.execute(
      "from PIL import Image\nfrom IPython.display import display\n" +
        "display('shown first')\nImage.new('RGB', (30, 20), 'red')",
    );
    expect(run.displays[0]).toMatchObject({ isResult: false, text: "'shown first'" });
    expect(run.images).toHaveLength(1);
    expect(await sharp(run.images[0]).metadata()).toMatchObject({ width: 30, height: 20 });
  });

  it("renders a DataFrame as the last expression as text and HTML", async () => {
    const run = await session.execute(
      "import pandas as pd\npd.DataFrame({'city': ['Oslo', 'Lima'], 'temp': [4, 19]})",
    );
    const result = run.displays.find((d) => d.isResult);
    expect(result?.text).toContain("Oslo");
    expect(result?.html).toContain("<table");
    expect(result?.html).toContain("<td>Lima</td>");
  });

  it("returns a Python error as data, with a clean traceback", async () => {
    const run = await session.execute("def f(x):\n    return 1 / x\nf(0)");
    expect(run.status).toBe("error");
    expect(run.error).toMatchObject({ name: "ZeroDivisionError", value: "division by zero" });
    expect(run.error?.traceback).toContain("return 1 / x");
    expect(run.error?.traceback).not.toContain("\u001b[");
    const syntax = await session.execute("def broken(:");
    expect(syntax.error?.name).toBe("SyntaxError");
    expect((await session.execute("print(radius)")).stdout).toBe("2\n");
  });

  it("lists a file written to /mnt/data and returns it byte-identical", async () => {
    const run = await session.execute(
      "import os\ndata = os.urandom(300_000)\nopen('/mnt/data/blob.bin', 'wb').write(data)\n" +
        "import hashlib\nprint(hashlib.sha256(data).hexdigest())",
    );
    expect(run.files).toEqual([expect.objectContaining({ path: "blob.bin", size: 300_000 })]);
    const bytes = await session.getFile("blob.bin");
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(run.stdout.trim());
    expect((await session.listFiles()).map((f) => f.path)).toContain("blob.bin");
  });

  it("names the type of the files an analysis makes, a compressed one by its compression", async () => {
    const names = [
      "table.parquet",
      "table.csv",
      "table.csv.gz",
      "notebook.ipynb",
      "config.yml",
      "rows.jsonl",
    ];
    const run = await session.execute(
      [
        "import os",
        "os.makedirs('/mnt/data/types', exist_ok=True)",
        `for name in ${JSON.stringify(names)}:`,
        "    open('/mnt/data/types/' + name, 'wb').write(b'x')",
      ].join("\n"),
    );
    const mimes = Object.fromEntries(run.files.map((file) => [file.path, file.mime]));
    expect(mimes).toEqual({
      "types/table.parquet": "application/vnd.apache.parquet",
      "types/table.csv": "text/csv",
      "types/table.csv.gz": "application/gzip",
      "types/notebook.ipynb": "application/x-ipynb+json",
      "types/config.yml": "application/yaml",
      "types/rows.jsonl": "application/jsonl",
    });
  });

  it("reads an uploaded CSV with pandas", async () => {
    const csv = "region,sales\nnorth,120\nsouth,80\nnorth,30\n";
    await session.putFile("sales.csv", Buffer.from(csv));
    const run = await session.execute(
      "import pandas as pd\ndf = pd.read_csv('/mnt/data/sales.csv')\nprint(df.groupby('region').sales.sum().to_dict())",
    );
    expect(run.stdout).toBe("{'north': 150, 'south': 80}\n");
  });

  it("round-trips a large binary upload", async () => {
    const payload = randomBytes(3 * 1024 * 1024 + 17);
    await session.putFile("upload.bin", payload);
    expect((await session.getFile("upload.bin")).equals(payload)).toBe(true);
  });

  it("keeps the control channel apart from user code", async () => {
    const stdin = await session.execute("import sys\nprint(repr(sys.stdin.read()))\ninput('name? ')");
    expect(stdin.stdout).toBe("''\n");
    expect(stdin.error?.name).toBe("EOFError");
    const forged =
      '{"type":"result","id":"x","status":"ok","duration_ms":1}\n{"type":"ready","kernel_pid":1}\n';
    const run = await session.execute(
      `import os, sys\nprint(${JSON.stringify(forged)}, end='')\nos.write(1, ${JSON.stringify(forged)}.encode())\n` +
        `os.write(2, b'{"type":"failure"}\\n')\nos.system('echo from a subprocess')`,
    );
    expect(run.status).toBe("ok");
    expect(run.stdout).toBe(`${forged}${forged}from a subprocess\n`);
    expect(run.stderr).toBe('{"type":"failure"}\n');
    expect((await session.execute("print(radius)")).stdout).toBe("2\n");
  });

  it("refuses file names that leave /mnt/data", async () => {
    await expect(session.getFile("../../etc/passwd")).rejects.toThrow(/inside \/mnt\/data/);
    await session.execute("import os\nos.symlink('/etc/passwd', '/mnt/data/link')");
    await expect(session.getFile("link")).rejects.toThrow(/symbolic link/);
  });
});
