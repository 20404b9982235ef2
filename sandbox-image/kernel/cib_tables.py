"""pandas DataFrames and Series as tables: what a chat shows of them, and all of them as CSV.

An IPython formatter for application/vnd.cib.table+json, registered by the type's name, so
pandas is not imported until user code imports it. It sends the first and last rows and the
first columns as the strings pandas itself would print, the frame's full size, and the
whole frame as CSV up to MAX_CSV_BYTES; each platform decides how much of it fits in a
message and offers the CSV when it shows less than the whole (src/present/table-text.ts).
"""

import math

TABLE_MIME = "application/vnd.cib.table+json"
HEAD_ROWS = 20
TAIL_ROWS = 5
MAX_COLUMNS = 30
MAX_CELL_CHARS = 40
MAX_CSV_BYTES = 12 * 1024 * 1024
CSV_CHUNK_ROWS = 20_000
CSV_SAMPLE_ROWS = 1_000
MAX_INDEX_LEVELS = 8


def install(shell):
    """Adds the table formatter to the shell; the caller lists TABLE_MIME among the active types."""
    from IPython.core.formatters import BaseFormatter
    from traitlets import ObjectName, Unicode

    class TableFormatter(BaseFormatter):
        format_type = Unicode(TABLE_MIME)
        _return_type = (dict,)
        print_method = ObjectName("_repr_cib_table_")

    formatter = TableFormatter(parent=shell.display_formatter)
    formatter.for_type_by_name("pandas.core.frame", "DataFrame", _safe_table)
    formatter.for_type_by_name("pandas.core.series", "Series", _safe_table)
    shell.display_formatter.formatters[TABLE_MIME] = formatter


def _safe_table(value):
    # A formatter that raises would show the person a traceback for a display they did not ask
    # for; without a table they still get pandas' own text.
    try:
        return table_of(value)
    except Exception:  # noqa: BLE001
        return None


def _clip(text):
    text = str(text).replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _cells(values):
    """The strings pandas prints for one column of the rows shown (same decimals down a column)."""
    try:
        from pandas.io.formats.format import format_array

        return [_clip(cell.strip()) for cell in format_array(values, None, na_rep="NaN")]
    except Exception:  # noqa: BLE001 - an exotic dtype still gets its str()
        return [_clip(value) for value in values]


def _column_name(name):
    if isinstance(name, tuple):
        return _clip(" / ".join(str(part) for part in name))
    return _clip("" if name is None else name)


def _is_number(dtype):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return bool(is_numeric_dtype(dtype) and not is_bool_dtype(dtype))


def _has_plain_index(frame):
    """A default 0..n-1 index without a name says nothing the row order does not; CSV leaves it out."""
    import pandas

    index = frame.index
    if index.name is not None or index.nlevels > 1:
        return False
    return len(index) == 0 or isinstance(index, pandas.RangeIndex) and index.start == 0 and index.step == 1


def table_of(value):
    import pandas

    kind = "Series" if isinstance(value, pandas.Series) else "DataFrame"
    frame = value.to_frame() if kind == "Series" else value
    rows, columns = frame.shape
    if rows > HEAD_ROWS + TAIL_ROWS:
        shown = pandas.concat([frame.iloc[:HEAD_ROWS], frame.iloc[-TAIL_ROWS:]])
        head_count = HEAD_ROWS
    else:
        shown, head_count = frame, rows
    shown = shown.iloc[:, :MAX_COLUMNS]
    index = shown.index
    levels = [index.get_level_values(level) for level in range(index.nlevels)]
    names = [_column_name(name) for name in index.names]
    cells = [_cells(level._values) for level in levels]
    numeric = [False] * len(levels)
    for position in range(shown.shape[1]):
        column = shown.iloc[:, position]
        names.append(_column_name(shown.columns[position]))
        cells.append(_cells(column._values))
        numeric.append(_is_number(column.dtype))
    lines = [[column[row] for column in cells] for row in range(len(shown))]
    csv, csv_bytes = _csv(frame)
    return {
        "kind": kind,
        "columns": names,
        "index_columns": len(levels),
        "numeric": numeric,
        "head": lines[:head_count],
        "tail": lines[head_count:],
        "rows": int(rows),
        "cols": int(columns),
        "csv": csv,
        "csv_bytes": csv_bytes,
    }


def _csv(frame):
    """The whole frame as UTF-8 CSV, or None when it would pass MAX_CSV_BYTES; and its size (or estimate)."""
    with_index = not _has_plain_index(frame)
    rows = len(frame)
    # Estimated from its first rows first, so a huge frame costs no time writing what is not sent.
    sample = frame.iloc[:CSV_SAMPLE_ROWS].to_csv(index=with_index).encode("utf-8")
    if rows > CSV_SAMPLE_ROWS:
        estimate = int(len(sample) * rows / CSV_SAMPLE_ROWS)
        if estimate > MAX_CSV_BYTES:
            return None, estimate
    parts = []
    size = 0
    for start in range(0, max(rows, 1), CSV_CHUNK_ROWS):
        data = frame.iloc[start : start + CSV_CHUNK_ROWS].to_csv(index=with_index, header=start == 0).encode("utf-8")
        size += len(data)
        if size > MAX_CSV_BYTES:
            # Its first rows were not typical; the size is estimated from what was written.
            written = min(start + CSV_CHUNK_ROWS, rows)
            return None, int(math.ceil(size * rows / max(written, 1)))
        parts.append(data)
    return b"".join(parts), size


def clean_table(table):
    """The table's JSON-ready fields, checked and capped, or None when it is not a table of ours.

    User code can publish any dict under TABLE_MIME, so nothing in it is taken on trust.
    """
    try:
        columns = [_clip(name) for name in _strings(table["columns"])]
        index_columns = table["index_columns"]
        numeric = table["numeric"]
        if table["kind"] not in ("DataFrame", "Series") or not isinstance(index_columns, int):
            return None
        if not 0 <= index_columns <= MAX_INDEX_LEVELS or len(columns) > index_columns + MAX_COLUMNS:
            return None
        if not isinstance(numeric, list) or len(numeric) != len(columns):
            return None
        if not all(isinstance(n, bool) for n in numeric):
            return None
        head = _rows(table["head"], len(columns), HEAD_ROWS)
        tail = _rows(table["tail"], len(columns), TAIL_ROWS)
        rows, cols = table["rows"], table["cols"]
        if head is None or tail is None or not all(_count(n) for n in (rows, cols)):
            return None
    except (KeyError, TypeError):
        return None
    return {
        "kind": table["kind"],
        "columns": columns,
        "index_columns": index_columns,
        "numeric": numeric,
        "head": head,
        "tail": tail,
        "rows": rows,
        "cols": cols,
    }


def _strings(values):
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise TypeError("not a list of strings")
    return values


def _rows(rows, width, most):
    if not isinstance(rows, list) or len(rows) > most:
        return None
    cleaned = []
    for row in rows:
        cells = _strings(row)
        if len(cells) != width:
            return None
        cleaned.append([_clip(cell) for cell in cells])
    return cleaned


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
