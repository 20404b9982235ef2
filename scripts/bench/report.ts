/**
 * The bench's sandbox figures as one Markdown table: a column pair (median, p95) per runtime
 * measured and, when runc and runsc both were, the ratio of their medians.
 */
import type { Row } from "./measure.ts";
import type { RuntimeFigures } from "./runtime-suite.ts";

interface Line {
  name: string;
  unit: string;
  /** One per runtime, in the order of the figures; undefined when that runtime lacks the row. */
  cells: Array<Row | undefined>;
}

function lines(figures: RuntimeFigures[]): Line[] {
  const first = figures[0];
  if (!first) return [];
  const of = (unit: string, pick: (f: RuntimeFigures) => Row[]) =>
    pick(first).map((r) => ({
      name: r.name,
      unit,
      cells: figures.map((f) => pick(f).find((other) => other.name === r.name)),
    }));
  return [...of("ms", (f) => f.rows), ...of("MiB", (f) => f.memory)];
}

const figure = (value: number | undefined) => (value === undefined ? "–" : value.toFixed(2));

export function runtimeTable(figures: RuntimeFigures[]): string {
  const compared = figures.length === 2;
  const header = [
    "measurement",
    "unit",
    "samples",
    ...figures.flatMap((f) => [`${f.runtime} median`, `${f.runtime} p95`]),
    ...(compared ? [`${figures[1]?.runtime} / ${figures[0]?.runtime} (medians)`] : []),
  ];
  const body = lines(figures).map((line) => {
    const counts = [...new Set(line.cells.map((cell) => cell?.runs ?? 0))].join(" / ");
    const [base, other] = line.cells;
    const ratio = base && other ? `${(other.median / base.median).toFixed(1)}x` : "–";
    return [
      line.name,
      line.unit,
      counts,
      ...line.cells.flatMap((cell) => [figure(cell?.median), figure(cell?.p95)]),
      ...(compared ? [ratio] : []),
    ];
  });
  const align = header.map((_, index) => (index < 2 ? "---" : "---:"));
  return [header, align, ...body].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/** What each runtime's suite took, so the cost of measuring runsc too is plain. */
export function suiteTimes(figures: RuntimeFigures[]): string {
  return figures.map((f) => `${f.runtime} ${(f.wallMs / 1000).toFixed(0)} s`).join(", ");
}
