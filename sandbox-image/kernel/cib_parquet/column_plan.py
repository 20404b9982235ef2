"""How each pandas column is stored: its Parquet schema element, its non-null
physical values, its validity mask and its entry in pyarrow's pandas metadata.

Every column is written OPTIONAL (as pyarrow does) so nulls never need a special
case; float NaN stays a NaN value, not a null, as in pyarrow.
"""
import datetime
import decimal
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import metadata as md
from .errors import ParquetError


_CONTEXT = decimal.Context(prec=200)


@dataclass
class ColumnPlan:
    element: md.SchemaElement
    values: object          # numpy array (fixed width) or list of bytes, non-null only
    valid: np.ndarray       # bool mask over all rows
    pandas_type: str
    numpy_type: str
    pandas_metadata: dict = None
    dictionary: list = None  # for categoricals: the categories as bytes; values are then codes


def _element(name, ptype, logical=None, converted=None):
    return md.SchemaElement(name=name, type=ptype, repetition=md.OPTIONAL, logical=logical, converted_type=converted)


def _int_plan(name, values, valid, dtype, numpy_type):
    signed = dtype.kind == "i"
    bits = dtype.itemsize * 8
    ptype = md.INT64 if bits == 64 else md.INT32
    logical = md.LogicalType("INTEGER", bit_width=bits, is_signed=signed)
    wide = np.int64 if bits == 64 else np.int32
    if signed or bits < 32:
        stored = values.astype(wide)
    else:
        # uint32/uint64 keep their bit pattern; the INTEGER logical type says they are unsigned.
        stored = values.astype(f"u{bits // 8}").view(wide)
    return ColumnPlan(_element(name, ptype, logical), np.ascontiguousarray(stored), valid,
                      str(dtype), numpy_type)


def plan_column(name, series):
    """Chooses the Parquet representation for one pandas Series."""
    dtype = series.dtype
    n = len(series)
    all_valid = np.ones(n, dtype=bool)
    if isinstance(dtype, pd.CategoricalDtype):
        return _categorical(name, series)
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = series.dt.tz_convert("UTC").dt.tz_localize(None)
        valid = utc.notna().to_numpy()
        values = utc.to_numpy("datetime64[ns]").view(np.int64)[valid]
        logical = md.LogicalType("TIMESTAMP", is_adjusted_to_utc=True, unit="NANOS")
        return ColumnPlan(_element(name, md.INT64, logical), values, valid, "datetimetz", "datetime64[ns]",
                          {"timezone": str(dtype.tz)})
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return _extension(name, series, dtype)
    if dtype.kind in "iu":
        return _int_plan(name, series.to_numpy(), all_valid, dtype, str(dtype))
    if dtype.kind == "f":
        ptype = md.FLOAT if dtype.itemsize == 4 else md.DOUBLE
        if dtype.itemsize not in (4, 8):
            raise ParquetError(f"column '{name}' is {dtype}; convert it with .astype('float64')")
        return ColumnPlan(_element(name, ptype), np.ascontiguousarray(series.to_numpy()), all_valid,
                          str(dtype), str(dtype))
    if dtype.kind == "b":
        return ColumnPlan(_element(name, md.BOOLEAN), series.to_numpy(), all_valid, "bool", "bool")
    if dtype.kind == "M":
        values = series.to_numpy("datetime64[ns]")
        valid = ~np.isnat(values)
        logical = md.LogicalType("TIMESTAMP", is_adjusted_to_utc=False, unit="NANOS")
        return ColumnPlan(_element(name, md.INT64, logical), values.view(np.int64)[valid], valid,
                          "datetime", "datetime64[ns]")
    if dtype.kind == "m":
        raise ParquetError(f"column '{name}' holds time durations (timedelta), which this writer does not "
                           f"store; convert it first, e.g. df['{name}'] = df['{name}'].dt.total_seconds()")
    if dtype == object:
        return _objects(name, series)
    raise ParquetError(f"column '{name}' has dtype {dtype}, which this writer cannot store")


def _extension(name, series, dtype):
    valid = series.notna().to_numpy()
    present = series[valid]
    numpy_type = str(dtype)
    if isinstance(dtype, pd.StringDtype):
        values = [s.encode("utf-8") for s in present.tolist()]
        return ColumnPlan(_element(name, md.BYTE_ARRAY, md.LogicalType("STRING"), "UTF8"), values, valid,
                          "unicode", "string")
    if isinstance(dtype, pd.BooleanDtype):
        return ColumnPlan(_element(name, md.BOOLEAN), present.to_numpy(bool), valid, "bool", "boolean")
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if numpy_dtype is not None and numpy_dtype.kind in "iu":
        plan = _int_plan(name, present.to_numpy(numpy_dtype), valid, numpy_dtype, numpy_type)
        return plan
    if numpy_dtype is not None and numpy_dtype.kind == "f":
        ptype = md.FLOAT if numpy_dtype.itemsize == 4 else md.DOUBLE
        return ColumnPlan(_element(name, ptype), present.to_numpy(numpy_dtype), valid, str(numpy_dtype), numpy_type)
    raise ParquetError(f"column '{name}' has dtype {dtype}, which this writer cannot store; "
                       f"try .astype(str) or .astype(float)")


def _objects(name, series):
    items = series.tolist()
    valid = ~pd.isna(series).to_numpy()
    present = [x for x, ok in zip(items, valid) if ok]
    kinds = {type(x) for x in present}
    if not present:
        return ColumnPlan(_element(name, md.BYTE_ARRAY, md.LogicalType("STRING"), "UTF8"), [], valid,
                          "empty", "object")
    if kinds <= {str}:
        try:
            values = [s.encode("utf-8") for s in present]
        except UnicodeEncodeError as err:
            raise ParquetError(f"column '{name}' has text that is not valid Unicode ({err.reason}); "
                               f"clean it first, e.g. .str.encode('utf-8', 'replace').str.decode('utf-8')") from None
        return ColumnPlan(_element(name, md.BYTE_ARRAY, md.LogicalType("STRING"), "UTF8"), values, valid,
                          "unicode" if present else "empty", "object")
    if kinds <= {bytes, bytearray}:
        return ColumnPlan(_element(name, md.BYTE_ARRAY), [bytes(b) for b in present], valid, "bytes", "object")
    if kinds <= {bool, np.bool_}:
        return ColumnPlan(_element(name, md.BOOLEAN), np.array(present, dtype=bool), valid, "bool", "object")
    if kinds <= {int, np.int64, np.int32}:
        try:
            values = np.array(present, dtype=np.int64)
        except OverflowError:
            raise ParquetError(f"column '{name}' holds integers too large for 64 bits; "
                               f"convert it with .astype(str) first") from None
        return ColumnPlan(_element(name, md.INT64), values, valid, "int64", "object")
    if kinds <= {int, float, np.float64, np.int64}:
        return ColumnPlan(_element(name, md.DOUBLE), np.array(present, dtype=np.float64), valid,
                          "float64", "object")
    if kinds == {decimal.Decimal}:
        return _decimals(name, present, valid)
    if kinds == {datetime.date}:
        days = (np.array(present, dtype="datetime64[D]").astype(np.int64)).astype(np.int32)
        return ColumnPlan(_element(name, md.INT32, md.LogicalType("DATE"), "DATE"), days, valid, "date", "object")
    names = ", ".join(sorted(k.__name__ for k in kinds))
    what = f"mixes values of types {names}" if len(kinds) > 1 else f"holds {names} values"
    raise ParquetError(f"column '{name}' {what}, which this writer cannot store as one Parquet type. "
                       f"Convert it first, e.g. df['{name}'] = df['{name}'].astype(str)")


def _decimals(name, present, valid):
    """Exact decimals as 16-byte big-endian two's complement (DECIMAL, precision <= 38)."""
    if any(not d.is_finite() for d in present):
        raise ParquetError(f"column '{name}' holds NaN or infinite Decimals; Parquet decimals must be finite")
    scale = max(0, max(-d.as_tuple().exponent for d in present))
    unscaled = [int(d.scaleb(scale, _CONTEXT)) for d in present]
    precision = max(1, max(len(str(abs(u))) for u in unscaled), scale)
    if precision > 38:
        raise ParquetError(f"column '{name}' needs {precision} decimal digits; Parquet stores at most 38. "
                           f"Convert it with .astype(float) or .astype(str)")
    element = _element(name, md.FIXED_LEN_BYTE_ARRAY, md.LogicalType("DECIMAL", scale=scale, precision=precision),
                       "DECIMAL")
    element.type_length, element.scale, element.precision = 16, scale, precision
    values = [u.to_bytes(16, "big", signed=True) for u in unscaled]
    return ColumnPlan(element, values, valid, "decimal", "object",
                      {"precision": precision, "scale": scale})


def _categorical(name, series):
    categories = series.cat.categories
    if not all(isinstance(c, str) for c in categories):
        raise ParquetError(f"column '{name}' is a categorical of non-text values; "
                           f"convert it with .astype(str) or to its categories' dtype first")
    codes = series.cat.codes.to_numpy()
    valid = codes >= 0
    plan = ColumnPlan(_element(name, md.BYTE_ARRAY, md.LogicalType("STRING"), "UTF8"),
                      codes[valid].astype(np.int64), valid, "categorical", str(codes.dtype),
                      # "categories" is our addition (pyarrow ignores it): it keeps the order and the
                      # unused categories, which the stored values alone cannot say.
                      {"num_categories": len(categories), "ordered": bool(series.cat.ordered),
                       "categories": list(categories)})
    plan.dictionary = [c.encode("utf-8") for c in categories]
    return plan


def dictionary_for_strings(plan):
    """Dictionary-encodes a string column when values repeat enough to pay off."""
    if plan.dictionary is not None or plan.element.type != md.BYTE_ARRAY or len(plan.values) < 2:
        return plan
    codes, uniques = pd.factorize(np.array(plan.values, dtype=object))
    if len(uniques) > max(1, len(codes) // 2) or len(uniques) > 1_000_000:
        return plan
    plan.dictionary = list(uniques)
    plan.values = codes.astype(np.int64)
    return plan
