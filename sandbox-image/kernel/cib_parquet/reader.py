"""read_parquet: a flat Parquet file to a pandas DataFrame, without pyarrow.

The whole file is read into memory (uploads in the sandbox are small enough), the
footer is parsed, and each selected column is decoded row group by row group.
"""
import os
import struct
import zlib

import numpy as np
import pandas as pd

from . import metadata as md
from . import pandas_meta
from .column_chunk import read_chunk
from .convert import to_series
from .errors import ParquetError
from .schema import select, top_level_columns

MAGIC = b"PAR1"


def _read_bytes(source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if os.path.isdir(path):
            raise ParquetError(f"{path!r} is a directory; this reader opens single Parquet files "
                               "(read each part file and use pd.concat)")
        with open(path, "rb") as handle:
            return handle.read()
    if hasattr(source, "read"):
        data = source.read()
        if isinstance(data, str):
            raise ParquetError("the file was opened in text mode; open it with 'rb'")
        return bytes(data)
    raise ParquetError(f"cannot read Parquet from a {type(source).__name__}; give a path, bytes or a binary file")


def read_metadata(data):
    """Checks the magic bytes at both ends and parses the footer."""
    if len(data) < 12 or data[:4] != MAGIC or data[-4:] != MAGIC:
        start = data[:4]
        hint = " (it looks like an encrypted Parquet file)" if data[-4:] == b"PARE" else ""
        raise ParquetError(f"this is not a Parquet file: it does not start and end with the 'PAR1' magic "
                           f"bytes (it starts with {start!r}){hint}")
    footer_len = int.from_bytes(data[-8:-4], "little")
    if footer_len <= 0 or footer_len > len(data) - 12:
        raise ParquetError("corrupt Parquet file: the footer length is out of range (truncated upload?)")
    return md.parse_file_metadata(data[-8 - footer_len:-8])


def describe_parquet(path):
    """Rows and columns of a Parquet file on disk, from its footer alone: a summary of an upload
    too large to read whole just to show its first rows. Nested columns are named with their kind.
    """
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(size - 8, 0))
        tail = handle.read(8)
        footer_len = int.from_bytes(tail[:4], "little")
        if size < 12 or tail[4:] != MAGIC or not 0 < footer_len <= size - 12:
            raise ParquetError("this is not a Parquet file: it does not end with the 'PAR1' magic bytes "
                               "and a footer")
        handle.seek(size - 8 - footer_len)
        meta = md.parse_file_metadata(handle.read(footer_len))
    columns = [c.name if c.nested_kind is None else f"{c.name} ({c.nested_kind})"
               for c in top_level_columns(meta.schema)]
    return {"rows": meta.num_rows, "columns": columns}


def read_parquet(source, columns=None):
    """Reads a flat Parquet file into a DataFrame.

    ``source`` is a path, bytes or a binary file object; ``columns`` picks columns
    by name. Type mapping follows pyarrow's ``to_pandas`` (nullable integers become
    float64 with NaN, nullable booleans object with None, TIMESTAMP with
    isAdjustedToUTC becomes datetime64[ns, UTC]) except: DATE columns are
    datetime64[ns] rather than date objects; DECIMAL columns hold exact
    decimal.Decimal objects; TIME columns hold datetime.time objects; dates and
    timestamps beyond datetime64[ns] (after 2262, e.g. 9999-12-31) give a column of
    datetime.date/datetime objects instead of wrapping around. Index, categorical,
    time-zone and nullable-dtype information in pyarrow's "pandas" metadata is
    restored; the Arrow schema arrow-rs/pyarrow also store ("ARROW:schema") is not
    read, so a non-UTC zone known only there comes back as UTC.
    Nested columns (lists, maps, structs) raise ParquetError naming the column.
    """
    data = _read_bytes(source)
    try:
        return _read(data, columns)
    except ParquetError:
        raise
    except (AttributeError, IndexError, KeyError, TypeError, ValueError, OverflowError, RecursionError,
            struct.error, zlib.error) as err:
        # A damaged file fails somewhere deep in decoding; say so in one line instead.
        raise ParquetError(f"this Parquet file is corrupt or uses a feature this reader does not "
                           f"support ({type(err).__name__}: {err})") from None


def _read(data, columns):
    meta = read_metadata(data)
    pandas_info = pandas_meta.parse(meta.key_value.get("pandas"))
    all_columns = top_level_columns(meta.schema)
    index_names = pandas_meta.stored_index_columns(pandas_info)
    chosen = select(all_columns, columns, always=index_names)
    series = [_read_column(data, meta, all_columns.index(c), c) for c in chosen]
    frame = pd.concat(series, axis=1) if series else pd.DataFrame(index=pd.RangeIndex(meta.num_rows))
    if not series:
        return frame
    frame.columns = [c.name for c in chosen]
    return pandas_meta.restore(frame, pandas_info, meta.num_rows)


def _read_column(data, meta, index, column):
    values_parts, masks, any_nulls = [], [], False
    for group in meta.row_groups:
        if index >= len(group.columns):
            raise ParquetError(f"corrupt Parquet file: a row group lacks column '{column.name}'")
        chunk = group.columns[index]
        values, valid = read_chunk(data, chunk, column.element, column.max_def)
        values_parts.append(values)
        masks.append(np.ones(len(values), bool) if valid is None else valid)
        any_nulls = any_nulls or valid is not None
    if values_parts:
        values = np.concatenate(values_parts) if len(values_parts) > 1 else values_parts[0]
    else:
        values = np.empty(0, dtype=object)
    valid = np.concatenate(masks) if any_nulls else None
    return to_series(column.name, column.element, values, valid, meta.num_rows)
