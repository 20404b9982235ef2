/**
 * Just enough CSV for scripted pandas: reading a small table the way `pd.read_csv` splits it
 * (quotes, a sniffed separator) and writing one the way `to_csv` does. Typing of values is
 * left to the script that uses them: every cell comes back as text.
 */

export interface Table {
  columns: string[];
  rows: string[][];
}

const CANDIDATE_SEPARATORS = [",", "\t", ";", "|"] as const;

/** What `sep=None` (csv.Sniffer) settles on for ordinary files: the most frequent candidate in the header. */
export function sniffSeparator(text: string): string {
  const header = text.split(/\r?\n/, 1)[0] ?? "";
  let best = ",";
  let bestCount = 0;
  for (const candidate of CANDIDATE_SEPARATORS) {
    const count = header.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

export function parseCsv(text: string, separator = sniffSeparator(text)): Table {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === "") quoted = true;
    else if (char === separator) {
      record.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[i + 1] === "\n") i += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += char;
  }
  if (field !== "" || record.length > 0) records.push([...record, field]);
  const nonEmpty = records.filter((r) => !(r.length === 1 && r[0] === ""));
  const [columns = [], ...rows] = nonEmpty;
  return { columns, rows };
}

export function formatCsv(table: Table, separator = ","): string {
  const cell = (value: string) =>
    value.includes(separator) || value.includes('"') || value.includes("\n") || value.includes("\r")
      ? `"${value.replaceAll('"', '""')}"`
      : value;
  return [table.columns, ...table.rows].map((row) => `${row.map(cell).join(separator)}\n`).join("");
}
