"""pyarrow's "pandas" key-value metadata: read it to restore the index, categoricals,
time zones and nullable dtypes, and build it so pandas+pyarrow restore ours.
"""
import json

import pandas as pd

_NULLABLE = {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
             "boolean", "string", "Float32", "Float64"}


def parse(text):
    """The metadata as a dict, or None when absent or unreadable (it is only a hint)."""
    if not text:
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return None
    return info if isinstance(info, dict) else None


def stored_index_columns(info):
    if not info:
        return []
    return [i for i in info.get("index_columns", []) if isinstance(i, str)]


def restore(frame, info, num_rows):
    if not info:
        return frame
    by_field = {c.get("field_name", c.get("name")): c for c in info.get("columns", []) if isinstance(c, dict)}
    for name in list(frame.columns):
        col = by_field.get(name)
        if col:
            frame[name] = _restore_dtype(frame[name], col)
    index_parts = []
    for item in info.get("index_columns", []):
        if isinstance(item, str) and item in frame.columns:
            col = by_field.get(item, {})
            index_parts.append((item, col.get("name")))
        elif isinstance(item, dict) and item.get("kind") == "range" and not index_parts:
            start, step = item.get("start", 0), item.get("step", 1)
            stop = start + step * num_rows
            frame.index = pd.RangeIndex(start, stop, step, name=item.get("name"))
    if index_parts:
        frame = frame.set_index([field for field, _ in index_parts])
        frame.index.names = [name for _, name in index_parts]
    names = {c.get("field_name"): c.get("name") for c in by_field.values()}
    frame.columns = [names.get(n, n) if isinstance(names.get(n, n), str) else n for n in frame.columns]
    col_index = info.get("column_indexes") or []
    if col_index and isinstance(col_index[0], dict) and col_index[0].get("name") is not None:
        frame.columns.name = col_index[0]["name"]
    return frame


def _restore_dtype(series, col):
    pandas_type, numpy_type = col.get("pandas_type"), col.get("numpy_type")
    meta = col.get("metadata") or {}
    try:
        if pandas_type == "categorical":
            categories = meta.get("categories")
            if not isinstance(categories, list) or not set(series.dropna()) <= set(categories):
                categories = None
            return series.astype(pd.CategoricalDtype(categories, ordered=bool(meta.get("ordered"))))
        if pandas_type == "datetimetz" and meta.get("timezone") and series.dt.tz is not None:
            return series.dt.tz_convert(meta["timezone"])
        if numpy_type in _NULLABLE:
            return series.astype(numpy_type)
    except Exception:  # noqa: BLE001 - e.g. an unknown time zone: the metadata is only a hint
        return series
    return series
