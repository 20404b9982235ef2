"""Writes the sandbox's library census (libraries.json): what is installed, at which version.

Run once at image build time, after every package is installed. The bot reads the file from the
image for the model's system prompt and for `code-interpreter-bot libraries`, so what
the model is told is what this image has. The groups say what each library is for; whether it is
there and its version come from importing it here. A listed library that does not import, or an
"unavailable" one that does, fails the build: the list and the Dockerfile cannot drift apart.

    python3 census.py OUT_FILE
"""

import importlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys

# (title, [(import name, distribution name, shown name)]), in the order the prompt lists them.
GROUPS = [
    ("Data and statistics", [
        ("numpy", "numpy", "numpy"),
        ("pandas", "pandas", "pandas"),
        ("scipy", "scipy", "scipy"),
        ("statsmodels", "statsmodels", "statsmodels"),
        ("sympy", "sympy", "sympy"),
        ("tabulate", "tabulate", "tabulate"),
        ("tqdm", "tqdm", "tqdm"),
        ("yaml", "PyYAML", "PyYAML (yaml)"),
        ("h5py", "h5py", "h5py"),
        ("dill", "dill", "dill"),
    ]),
    ("Machine learning", [
        ("sklearn", "scikit-learn", "scikit-learn (sklearn)"),
        ("xgboost", "xgboost", "xgboost"),
        ("torch", "torch", "torch (CPU only)"),
    ]),
    ("Charts and diagrams", [
        ("matplotlib", "matplotlib", "matplotlib"),
        ("seaborn", "seaborn", "seaborn"),
        ("plotly", "plotly", "plotly"),
        ("networkx", "networkx", "networkx"),
        ("graphviz", "graphviz", "graphviz"),
        ("wordcloud", "wordcloud", "wordcloud"),
    ]),
    ("Images, video and audio", [
        ("PIL", "Pillow", "Pillow (PIL)"),
        ("cv2", None, "opencv (cv2)"),
        ("skimage", "scikit-image", "scikit-image (skimage)"),
        ("imageio", "imageio", "imageio"),
        ("av", "av", "PyAV (av)"),
        ("pydub", "pydub", "pydub"),
        ("soundfile", "soundfile", "soundfile"),
    ]),
    ("Office files and PDF", [
        ("openpyxl", "openpyxl", "openpyxl"),
        ("xlrd", "xlrd", "xlrd"),
        ("xlsxwriter", "XlsxWriter", "XlsxWriter (xlsxwriter)"),
        ("odf", "odfpy", "odfpy (odf)"),
        ("docx", "python-docx", "python-docx (docx)"),
        ("pypdf", "pypdf", "pypdf"),
        ("fitz", "PyMuPDF", "PyMuPDF (fitz)"),
        ("pdfminer", "pdfminer.six", "pdfminer.six (pdfminer)"),
        ("reportlab", "reportlab", "reportlab"),
        ("bs4", "beautifulsoup4", "beautifulsoup4 (bs4)"),
        ("lxml", "lxml", "lxml"),
    ]),
    ("Maps", [
        ("geopandas", "geopandas", "geopandas"),
        ("shapely", "shapely", "shapely"),
        ("pyproj", "pyproj", "pyproj"),
        ("fiona", "Fiona", "fiona"),
    ]),
    ("Text", [
        ("nltk", "nltk", "nltk (without its downloadable corpora and models)"),
        ("regex", "regex", "regex"),
    ]),
]

# Where the image keeps the kernel's own modules (cib_parquet among them).
KERNEL_DIR = "/opt/sandbox"

# Programs the model may call with subprocess: (command, version arguments, what it is for).
TOOLS = [
    ("ffmpeg", ["-version"], "convert and cut video and audio; ffprobe reads their streams"),
    ("tesseract", ["--version"], "OCR of images, English (or PyMuPDF's page.get_textpage_ocr())"),
    ("pdftotext", ["-v"], "PDF text with -layout, which keeps table columns; pdftoppm renders pages"),
    ("soffice", ["--headless", "--version"],
     "LibreOffice: `soffice --headless --convert-to pdf|docx|xlsx|pptx FILE` converts office files"),
    ("dot", ["-V"], "Graphviz layouts, also used by the graphviz package"),
    ("heif-convert", None, "converts HEIC/HEIF photos to JPEG or PNG"),
]

# What people ask for that this image cannot have, and what to do instead. Each must not import.
UNAVAILABLE = [
    ("tensorflow", "tensorflow and keras", "not packaged by Debian; use torch or scikit-learn"),
    ("pyarrow", "pyarrow and fastparquet",
     "not packaged by Debian; pd.read_parquet and DataFrame.to_parquet still work, through the "
     "sandbox's own Parquet reader and writer for flat columns (numbers, text, booleans, dates, times, "
     "decimals; no lists, maps or structs); pyarrow's own API and Feather/Arrow IPC files do not"),
    ("pptx", "python-pptx",
     "not packaged by Debian; convert .pptx with LibreOffice (to PDF, then read it with PyMuPDF), and "
     "make slides as ODP with odfpy and convert them to .pptx"),
    ("pdfplumber", "pdfplumber and camelot", "use PyMuPDF or pdfminer, or `pdftotext -layout` for tables"),
    ("lightgbm", "lightgbm and catboost", "use xgboost or scikit-learn's HistGradientBoostingClassifier"),
    ("pytesseract", "pytesseract", "run the tesseract command with subprocess"),
    ("pillow_heif", "pillow-heif", "convert HEIC files with the heif-convert command first"),
]


def library_version(module, distribution):
    if distribution is not None:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            pass
    return str(getattr(module, "__version__", ""))


def census_groups(problems):
    groups = []
    for title, candidates in GROUPS:
        libraries = []
        for import_name, distribution, shown in candidates:
            try:
                module = importlib.import_module(import_name)
            except Exception as error:  # noqa: BLE001 - any failure means "not usable"
                problems.append(f"{import_name} does not import: {error!r}")
                continue
            libraries.append({"name": shown, "import": import_name,
                              "version": library_version(module, distribution)})
        groups.append({"title": title, "libraries": libraries})
    return groups


def tool_version(command, arguments):
    if arguments is None:
        return ""
    completed = subprocess.run([command, *arguments], capture_output=True, text=True, timeout=60,
                               check=False)
    output = completed.stdout + completed.stderr
    match = re.search(r"(?:version|tesseract|LibreOffice)\s+v?(\d+(?:\.\d+)+)", output)
    return match.group(1) if match else ""


def census_tools(problems):
    tools = []
    for command, arguments, use in TOOLS:
        if shutil.which(command) is None:
            problems.append(f"the {command} command is missing")
            continue
        tools.append({"command": command, "version": tool_version(command, arguments), "use": use})
    return tools


def census_unavailable(problems):
    entries = []
    for import_name, name, instead in UNAVAILABLE:
        try:
            importlib.import_module(import_name)
            problems.append(f"{import_name} is listed as unavailable but imports")
        except ImportError:
            entries.append({"name": name, "instead": instead})
    return entries


def plotting_defaults():
    """The sandbox's matplotlib settings that are not matplotlib's own defaults."""
    import matplotlib

    ignored = {"backend", "backend_fallback", "interactive"}
    changed = {}
    for key, value in matplotlib.rcParams.items():
        if key in ignored or value == matplotlib.rcParamsDefault[key]:
            continue
        changed[key] = list(value) if isinstance(value, (list, tuple)) else value
    return {key: changed[key] for key in sorted(changed)}


def seaborn_datasets():
    folder = os.environ["SEABORN_DATA"]
    return sorted(name[:-4] for name in os.listdir(folder) if name.endswith(".csv"))


def installed_distributions():
    versions = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            versions[name] = dist.version
    return [{"name": name, "version": versions[name]} for name in sorted(versions, key=str.lower)]


def check_parquet(problems):
    """pd.read_parquet and to_parquet go through the kernel's cib_parquet, as in a sandbox."""
    import io

    import pandas

    sys.path.insert(0, KERNEL_DIR)
    try:
        import cib_parquet

        cib_parquet.install_pandas_engine()
        frame = pandas.DataFrame({"n": [1, 2, 3], "text": ["a", None, "c"]})
        back = pandas.read_parquet(io.BytesIO(frame.to_parquet()))
        if not back.equals(frame):
            problems.append(f"a Parquet round trip changed the frame:\n{back}")
    except Exception as error:  # noqa: BLE001 - any failure means Parquet does not work
        problems.append(f"Parquet through pandas does not work: {error!r}")
    finally:
        sys.path.remove(KERNEL_DIR)


def main():
    problems = []
    check_parquet(problems)
    census = {
        "python": ".".join(str(part) for part in sys.version_info[:3]),
        "groups": census_groups(problems),
        "tools": census_tools(problems),
        "seabornDatasets": seaborn_datasets(),
        "unavailable": census_unavailable(problems),
        "plottingDefaults": plotting_defaults(),
        "distributions": installed_distributions(),
    }
    if problems:
        sys.exit("the library census does not match the image:\n  " + "\n  ".join(problems))
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(census, out, indent=1, default=str)
        out.write("\n")


if __name__ == "__main__":
    main()
