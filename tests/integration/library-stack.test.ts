/**
 * The sandbox's library stack does what people ask a code interpreter for, with no network:
 * one real task per group of sandbox-image/Dockerfile, each in the sandbox as the bot runs it.
 * Memory and processes are the defaults', not TEST_LIMITS': LibreOffice runs some 30 threads and
 * torch needs a few hundred MiB, which a person's sandbox has.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.ts";
import type { ContainerSession } from "../../src/sandbox/session.ts";
import type { Execution } from "../../src/sandbox/types.ts";
import { createTestSandbox, type TestSandbox, testTimeout } from "../helpers/sandbox.ts";
import { lastLine, runOk } from "../helpers/sandbox-runs.ts";

let sandbox: TestSandbox;
let session: ContainerSession;
/** LibreOffice's first start in a fresh home and torch's first import take seconds. */
const SLOW_RUN = { timeoutMs: testTimeout(90_000) };

beforeAll(async () => {
  sandbox = await createTestSandbox({ memoryMb: DEFAULT_LIMITS.memoryMb, pids: DEFAULT_LIMITS.pids });
  session = await sandbox.manager.acquire("library-stack");
  await session.open();
}, 900_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

function run(code: string, options = SLOW_RUN): Promise<Execution> {
  return runOk(session, code, options);
}

describe("everyday gaps", () => {
  it("reads YAML, writes and reads HDF5, and shows progress with tqdm", async () => {
    const execution = await run(
      [
        "import yaml, h5py, numpy as np",
        "from tqdm import tqdm",
        "config = yaml.safe_load('columns: [a, b]\\nthreshold: 0.5')",
        "with h5py.File('/mnt/data/arrays.h5', 'w') as f: f['x'] = np.arange(10)",
        "with h5py.File('/mnt/data/arrays.h5') as f: total = int(f['x'][:].sum())",
        "steps = sum(1 for _ in tqdm(range(5)))",
        "print(config['columns'], total, steps)",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("['a', 'b'] 45 5");
  });

  it("trains a tiny xgboost model", async () => {
    const execution = await run(
      [
        "import xgboost as xgb",
        "from sklearn.datasets import load_iris",
        "X, y = load_iris(return_X_y=True)",
        "model = xgb.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1).fit(X, y)",
        "print(round(float((model.predict(X) == y).mean()), 2))",
      ].join("\n"),
    );
    expect(Number(lastLine(execution))).toBeGreaterThan(0.95);
  });

  it("fits a linear layer with torch on the CPU", async () => {
    const execution = await run(
      [
        "import torch",
        "torch.manual_seed(0)",
        "x = torch.linspace(0, 1, 50).unsqueeze(1); y = 3 * x + 1",
        "layer = torch.nn.Linear(1, 1); optimiser = torch.optim.SGD(layer.parameters(), lr=0.5)",
        "for _ in range(500):",
        "    optimiser.zero_grad(); loss = ((layer(x) - y) ** 2).mean(); loss.backward(); optimiser.step()",
        "print(round(layer.weight.item(), 1), round(layer.bias.item(), 1))",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("3.0 1.0");
  });
});

describe("seaborn's example datasets", () => {
  it("load with no network, as seaborn-data has them", async () => {
    const execution = await run(
      [
        "import seaborn as sns",
        "tips = sns.load_dataset('tips')",
        "penguins = sns.load_dataset('penguins')",
        "flights = sns.load_dataset('flights').pivot(index='month', columns='year', values='passengers')",
        "print(tips.shape, round(tips.total_bill.sum(), 2), list(tips.day.cat.categories))",
        "print(penguins.shape, sorted(penguins.sex.dropna().unique()), flights.loc['Jan', 1949])",
        "sns.scatterplot(data=tips, x='total_bill', y='tip', hue='day')",
      ].join("\n"),
    );
    expect(execution.stdout.trim().split("\n")).toEqual([
      "(244, 7) 4827.77 ['Thur', 'Fri', 'Sat', 'Sun']",
      "(344, 7) ['Female', 'Male'] 112",
    ]);
    expect(execution.images).toHaveLength(1);
  });

  it("are the ones get_dataset_names() gives, and any other is refused in plain words, not a DNS error", async () => {
    const execution = await run(
      [
        "import seaborn as sns",
        "print(sns.get_dataset_names())",
        "print(sns.load_dataset('iris', cache=False).shape)",
        "try:",
        "    sns.load_dataset('titanic')",
        "except ValueError as error:",
        "    print(error)",
      ].join("\n"),
    );
    expect(execution.stdout.trim().split("\n")).toEqual([
      "['anscombe', 'diamonds', 'flights', 'iris', 'penguins', 'tips']",
      "(150, 5)",
      "seaborn's 'titanic' dataset is not in this sandbox, and it has no internet to download it. " +
        "The example datasets here are: anscombe, diamonds, flights, iris, penguins, tips. For other data, load a file with pandas.",
    ]);
  });
});

describe("video, audio and images", () => {
  it("decodes frames of a generated video and saves one as PNG", async () => {
    const execution = await run(
      [
        "import subprocess, av, cv2",
        "subprocess.run(['ffmpeg', '-loglevel', 'error', '-f', 'lavfi', '-i',",
        "    'testsrc=duration=2:size=160x120:rate=10', '-pix_fmt', 'yuv420p', 'clip.mp4'], check=True)",
        "with av.open('clip.mp4') as container:",
        "    frames = [frame.to_image() for frame in container.decode(video=0)]",
        "frames[5].save('frame-5.png')",
        "capture = cv2.VideoCapture('clip.mp4'); ok, first = capture.read()",
        "print(len(frames), ok, first.shape)",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("20 True (120, 160, 3)");
    const frame = execution.files.find((file) => file.path === "frame-5.png");
    expect(frame).toBeDefined();
    const png = await session.getFile("frame-5.png");
    expect(await sharp(png).metadata()).toMatchObject({ format: "png", width: 160, height: 120 });
  });

  it("writes audio with soundfile and converts it to MP3 with pydub", async () => {
    const execution = await run(
      [
        "import numpy as np, soundfile as sf",
        "from pydub import AudioSegment",
        "rate = 16000; t = np.arange(rate * 2) / rate",
        "sf.write('tone.wav', 0.3 * np.sin(2 * np.pi * 440 * t), rate)",
        "AudioSegment.from_wav('tone.wav').export('tone.mp3', format='mp3')",
        "print(round(len(AudioSegment.from_mp3('tone.mp3')) / 1000, 1), sf.info('tone.wav').samplerate)",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("2.0 16000");
  });

  it("turns an HEIC photo into a PNG with heif-convert", async () => {
    const execution = await run(
      [
        "import subprocess",
        "from PIL import Image",
        "Image.new('RGB', (64, 48), (200, 30, 30)).save('photo.png')",
        "subprocess.run(['heif-enc', '-q', '90', '-o', 'photo.heic', 'photo.png'], check=True, capture_output=True)",
        "subprocess.run(['heif-convert', 'photo.heic', 'photo-from-heic.png'], check=True, capture_output=True)",
        "image = Image.open('photo-from-heic.png').convert('RGB')",
        "print(image.size, image.getpixel((32, 24))[0] > 150)",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("(64, 48) True");
  });
});

describe("OCR and PDFs", () => {
  it("reads the text of a generated image with tesseract", async () => {
    const execution = await run(
      [
        "import subprocess",
        "from PIL import Image, ImageDraw, ImageFont",
        "font = ImageFont.truetype('DejaVuSans.ttf', 36)",
        "image = Image.new('L', (700, 120), 255)",
        "ImageDraw.Draw(image).text((20, 35), 'Invoice 4711 total 93.50', font=font, fill=0)",
        "image.save('scan.png')",
        "print(subprocess.run(['tesseract', 'scan.png', 'stdout'], capture_output=True, text=True, check=True).stdout)",
      ].join("\n"),
    );
    expect(execution.stdout).toContain("Invoice 4711 total 93.50");
  });

  it("gets a table out of a generated PDF with pdftotext -layout and pdfminer", async () => {
    const execution = await run(
      [
        "import subprocess",
        "from reportlab.lib.pagesizes import A4",
        "from reportlab.platypus import SimpleDocTemplate, Table",
        "rows = [['region', 'sales'], ['North', '1200'], ['South', '950']]",
        "SimpleDocTemplate('report.pdf', pagesize=A4).build([Table(rows)])",
        "layout = subprocess.run(['pdftotext', '-layout', 'report.pdf', '-'], capture_output=True, text=True, check=True).stdout",
        "from pdfminer.high_level import extract_text",
        "print([line.split() for line in layout.splitlines() if line.strip()])",
        "print('South' in extract_text('report.pdf'))",
      ].join("\n"),
    );
    expect(execution.stdout.trim().split("\n")).toEqual([
      "[['region', 'sales'], ['North', '1200'], ['South', '950']]",
      "True",
    ]);
  });
});

describe("office files", () => {
  it("makes a .pptx with LibreOffice and reads it back", async () => {
    const execution = await run(
      [
        "import subprocess, zipfile, fitz",
        "from odf.opendocument import OpenDocumentPresentation",
        "from odf.style import Style, MasterPage, PageLayout",
        "from odf.draw import Page, Frame, TextBox",
        "from odf.text import P",
        "deck = OpenDocumentPresentation()",
        "layout = PageLayout(name='layout'); deck.automaticstyles.addElement(layout)",
        "master = MasterPage(name='master', pagelayoutname=layout); deck.masterstyles.addElement(master)",
        "page = Page(masterpagename=master); deck.presentation.addElement(page)",
        "frame = Frame(width='20cm', height='3cm', x='2cm', y='2cm'); page.addElement(frame)",
        "box = TextBox(); frame.addElement(box); box.addElement(P(text='Quarterly revenue grew 12%'))",
        "deck.save('deck.odp')",
        "convert = lambda source, to: subprocess.run(['soffice', '--headless', '--convert-to', to, source],",
        "    capture_output=True, text=True, check=True, timeout=80)",
        "convert('deck.odp', 'pptx')",
        "slides = [n for n in zipfile.ZipFile('deck.pptx').namelist() if n.startswith('ppt/slides/slide')]",
        "convert('deck.pptx', 'pdf')",
        "with fitz.open('deck.pdf') as pdf: text = pdf[0].get_text()",
        "print(slides, 'Quarterly revenue grew 12%' in text)",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("['ppt/slides/slide1.xml'] True");
  });

  it("turns a .docx written with python-docx into a PDF", async () => {
    const execution = await run(
      [
        "import subprocess, docx, fitz",
        "document = docx.Document(); document.add_heading('Minutes', 1); document.add_paragraph('Budget approved.')",
        "document.save('minutes.docx')",
        "subprocess.run(['soffice', '--headless', '--convert-to', 'pdf', 'minutes.docx'],",
        "    capture_output=True, check=True, timeout=80)",
        "with fitz.open('minutes.pdf') as pdf: print(pdf[0].get_text().split())",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("['Minutes', 'Budget', 'approved.']");
  });
});

describe("maps, diagrams and text", () => {
  it("plots a GeoDataFrame and writes and reads GeoJSON", async () => {
    const execution = await run(
      [
        "import geopandas as gpd",
        "from shapely.geometry import Point, Polygon",
        "cities = gpd.GeoDataFrame({'name': ['Paris', 'Berlin']},",
        "    geometry=[Point(2.35, 48.86), Point(13.40, 52.52)], crs='EPSG:4326')",
        "cities.to_file('cities.geojson', driver='GeoJSON')",
        "back = gpd.read_file('cities.geojson').to_crs(3857)",
        "area = gpd.GeoSeries([Polygon([(0, 0), (1, 0), (1, 1)])]).area[0]",
        "ax = back.plot(markersize=40)",
        "print(list(back.name), back.crs.to_epsg(), area)",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("['Paris', 'Berlin'] 3857 0.5");
    expect(execution.images).toHaveLength(1);
  });

  it("renders a graphviz diagram to PNG", async () => {
    const execution = await run(
      [
        "import graphviz",
        "from PIL import Image",
        "flow = graphviz.Digraph(); flow.edge('upload', 'clean'); flow.edge('clean', 'chart')",
        "path = flow.render('flow', format='png', cleanup=True)",
        "print(path, Image.open(path).size[1] > Image.open(path).size[0])",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("flow.png True");
  });

  it("draws a word cloud and tokenises with nltk", async () => {
    const execution = await run(
      [
        "from wordcloud import WordCloud",
        "from nltk.tokenize import wordpunct_tokenize",
        "text = 'sales sales sales revenue revenue growth margin'",
        "cloud = WordCloud(width=400, height=200, background_color='white').generate(text)",
        "cloud.to_file('cloud.png')",
        "print(cloud.to_array().shape, wordpunct_tokenize('Q3: revenue up!'))",
      ].join("\n"),
    );
    expect(lastLine(execution)).toBe("(200, 400, 3) ['Q3', ':', 'revenue', 'up', '!']");
  });
});

describe("the library census", () => {
  it("lists what imports in the sandbox, at the versions the sandbox reports", async () => {
    const libraries = await sandbox.manager.libraries();
    expect(libraries).not.toBeNull();
    const listed = (libraries?.groups ?? []).flatMap((group) => group.libraries);
    expect(listed.length).toBeGreaterThan(40);
    const execution = await run(
      [
        "import importlib, json",
        `listed = json.loads(${JSON.stringify(JSON.stringify(listed.map((l) => l.import)))})`,
        "print(json.dumps({name: importlib.import_module(name).__name__ for name in listed}))",
      ].join("\n"),
    );
    expect(Object.keys(JSON.parse(lastLine(execution)))).toEqual(listed.map((l) => l.import));
    const pandas = listed.find((library) => library.import === "pandas");
    const version = await run("import pandas\nprint(pandas.__version__)");
    expect(pandas?.version).toBe(lastLine(version));
    expect(libraries?.seabornDatasets).toEqual([
      "anscombe",
      "diamonds",
      "flights",
      "iris",
      "penguins",
      "tips",
    ]);
  });
});
