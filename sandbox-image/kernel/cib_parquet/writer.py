"""write_parquet: a pandas DataFrame to a Parquet (format 2) file pyarrow reads back.

Layout: per row group and column, an optional dictionary page, then v1 data pages of
at most PAGE_ROWS rows (definition levels, bit width 1, then PLAIN or RLE_DICTIONARY
values). pyarrow's "pandas" metadata is added so the index and dtypes come back.
"""
import json
import os

import numpy as np
import pandas as pd

from . import compression, encodings
from . import metadata as md
from . import thrift_compact as tc
from .column_plan import dictionary_for_strings, plan_column
from .compression import codec_for
from .errors import ParquetError

CREATED_BY = "cib_parquet version 0.1 (pure-Python sandbox writer)"
PAGE_ROWS = 100_000


def write_parquet(df, destination, compression="snappy", index=None, row_group_size=1_000_000):
    """Writes ``df`` to a path or a binary file object.

    ``index=None`` stores a RangeIndex as metadata only and any other index as
    columns (pyarrow's behaviour); True always stores it as columns; False drops
    it. ``compression`` is snappy, gzip, zstd, brotli, lz4 (written as LZ4_RAW) or
    None. timedelta columns are refused with a hint (convert them first).
    """
    if not isinstance(df, pd.DataFrame):
        raise ParquetError("write_parquet needs a pandas DataFrame")
    codec = codec_for(compression)
    frame, index_meta = _with_index_columns(df, index)
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise ParquetError("the DataFrame has duplicate column names; Parquet needs unique names")
    plans = [dictionary_for_strings(plan_column(n, frame.iloc[:, i])) for i, n in enumerate(names)]
    payload = _file_bytes(plans, len(frame), codec, row_group_size, _pandas_metadata(df, names, plans, index_meta))
    if isinstance(destination, (str, os.PathLike)):
        with open(destination, "wb") as handle:
            handle.write(payload)
    elif hasattr(destination, "write"):
        destination.write(payload)
    else:
        raise ParquetError(f"cannot write Parquet to a {type(destination).__name__}; give a path or a binary file")


def _with_index_columns(df, index):
    frame = df.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    is_range = isinstance(df.index, pd.RangeIndex)
    if index is False or (index is None and is_range):
        if is_range and index is None:
            meta = [{"kind": "range", "name": df.index.name, "start": int(df.index.start),
                     "stop": int(df.index.stop), "step": int(df.index.step)}]
        else:
            meta = []
        return frame.reset_index(drop=True), meta
    fields = []
    for level, name in enumerate(df.index.names):
        # As pyarrow: an unnamed level, or one named like a column, gets a reserved field name.
        named = name is not None and str(name) not in frame.columns
        fields.append(str(name) if named else f"__index_level_{level}__")
    index_frame = df.index.to_frame(index=False)
    index_frame.columns = fields
    frame = pd.concat([frame.reset_index(drop=True), index_frame], axis=1)
    return frame, fields


def _pandas_metadata(df, names, plans, index_meta):
    index_names = {f: n for f, n in zip([m for m in index_meta if isinstance(m, str)], df.index.names)}
    columns = []
    for name, plan in zip(names, plans):
        shown = index_names[name] if name in index_names else name
        columns.append({"name": shown, "field_name": name, "pandas_type": plan.pandas_type,
                        "numpy_type": plan.numpy_type, "metadata": plan.pandas_metadata})
    col_name = df.columns.name
    return json.dumps({
        "index_columns": index_meta,
        "column_indexes": [{"name": col_name, "field_name": col_name, "pandas_type": "unicode",
                            "numpy_type": "object", "metadata": {"encoding": "UTF-8"}}],
        "columns": columns,
        "creator": {"library": "cib_parquet", "version": "0.1"},
        "pandas_version": pd.__version__,
    }, default=str)  # index and column-axis names may be numbers or timestamps


def _file_bytes(plans, num_rows, codec, row_group_size, pandas_json):
    out = bytearray(b"PAR1")
    row_groups = []
    step = max(1, int(row_group_size))
    starts = range(0, num_rows, step) if num_rows else [0]
    # Row offsets of each plan's non-null values, to slice them per row group.
    value_offsets = [np.concatenate([[0], np.cumsum(p.valid)]) for p in plans]
    for start in starts:
        stop = min(start + step, num_rows)
        chunks, total = [], 0
        for plan, offsets in zip(plans, value_offsets):
            chunk_fields, size = _write_chunk(out, plan, start, stop, offsets, codec)
            chunks.append(chunk_fields)
            total += size
        row_groups.append([(1, tc.LIST, (tc.STRUCT, chunks)), (2, tc.I64, total), (3, tc.I64, stop - start)])
    root = md.SchemaElement(name="schema", num_children=len(plans))
    schema = [md.schema_element_fields(root)] + [md.schema_element_fields(p.element) for p in plans]
    footer = tc.write_struct([
        (1, tc.I32, 2), (2, tc.LIST, (tc.STRUCT, schema)), (3, tc.I64, num_rows),
        (4, tc.LIST, (tc.STRUCT, row_groups)),
        (5, tc.LIST, (tc.STRUCT, [[(1, tc.BINARY, "pandas"), (2, tc.BINARY, pandas_json)]])),
        (6, tc.BINARY, CREATED_BY)])
    out += footer + len(footer).to_bytes(4, "little") + b"PAR1"
    return bytes(out)


def _page(out, codec, page_type, raw, header_fields):
    body = compression.compress(codec, raw)
    header = tc.write_struct([(1, tc.I32, page_type), (2, tc.I32, len(raw)), (3, tc.I32, len(body))] + header_fields)
    out += header + body
    return len(header) + len(raw), len(header) + len(body)


def _write_chunk(out, plan, start, stop, offsets, codec):
    chunk_start = len(out)
    uncompressed = 0
    dict_offset = None
    encodings_used = [md.RLE]
    if plan.dictionary is not None:
        dict_offset = len(out)
        raw = encodings.plain_encode_byte_arrays(plan.dictionary)
        u, _ = _page(out, codec, md.DICTIONARY_PAGE, raw,
                     [(7, tc.STRUCT, [(1, tc.I32, len(plan.dictionary)), (2, tc.I32, md.PLAIN)])])
        uncompressed += u
        encodings_used += [md.PLAIN, md.RLE_DICTIONARY]
    else:
        encodings_used += [md.PLAIN]
    data_offset = len(out)
    for page_start in range(start, max(stop, start + 1), PAGE_ROWS):
        page_stop = min(page_start + PAGE_ROWS, stop)
        valid = plan.valid[page_start:page_stop]
        values = plan.values[offsets[page_start]:offsets[page_stop]]
        levels = encodings.rle_hybrid_encode(valid.astype(np.uint8), 1)
        raw = len(levels).to_bytes(4, "little") + levels + _encode_values(plan, values)
        encoding = md.RLE_DICTIONARY if plan.dictionary is not None else md.PLAIN
        u, _ = _page(out, codec, md.DATA_PAGE, raw, [(5, tc.STRUCT, [
            (1, tc.I32, page_stop - page_start), (2, tc.I32, encoding), (3, tc.I32, md.RLE), (4, tc.I32, md.RLE)])])
        uncompressed += u
    meta = [(1, tc.I32, plan.element.type), (2, tc.LIST, (tc.I32, encodings_used)),
            (3, tc.LIST, (tc.BINARY, [plan.element.name])), (4, tc.I32, codec), (5, tc.I64, stop - start),
            (6, tc.I64, uncompressed), (7, tc.I64, len(out) - chunk_start), (9, tc.I64, data_offset),
            (11, tc.I64, dict_offset)]
    return [(2, tc.I64, chunk_start), (3, tc.STRUCT, meta)], len(out) - chunk_start


def _encode_values(plan, values):
    if plan.dictionary is not None:
        width = max(1, int(len(plan.dictionary) - 1).bit_length())
        return bytes([width]) + encodings.rle_hybrid_encode(values, width)
    ptype = plan.element.type
    if ptype == md.BOOLEAN:
        return np.packbits(np.asarray(values, dtype=bool), bitorder="little").tobytes()
    if ptype == md.BYTE_ARRAY:
        return encodings.plain_encode_byte_arrays(values)
    if ptype == md.FIXED_LEN_BYTE_ARRAY:
        return b"".join(values)
    dtype = {md.INT32: "<i4", md.INT64: "<i8", md.FLOAT: "<f4", md.DOUBLE: "<f8"}.get(ptype)
    if dtype is None:
        raise ParquetError(f"column '{plan.element.name}': cannot write physical type {ptype}")
    return np.ascontiguousarray(values, dtype=dtype).tobytes()
