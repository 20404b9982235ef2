"""Physical Parquet values to the pandas values pyarrow's ``to_pandas`` would give.

Choices where pyarrow's default is awkward in a chat sandbox: DATE becomes
datetime64[ns] (pyarrow gives datetime.date objects) so dates sort, filter and
plot directly; TIME becomes datetime.time objects (as pyarrow); DECIMAL becomes
exact decimal.Decimal objects; nullable integers become float64 with NaN, and
nullable booleans object with None, as pyarrow does.
"""
import datetime
import decimal
import uuid

import numpy as np
import pandas as pd

from . import metadata as md
from .errors import ParquetError

_INT_CONVERTED = {"INT_8": (8, True), "INT_16": (16, True), "INT_32": (32, True), "INT_64": (64, True),
                  "UINT_8": (8, False), "UINT_16": (16, False), "UINT_32": (32, False), "UINT_64": (64, False)}
_UNIT_NS = {"MILLIS": 1_000_000, "MICROS": 1_000, "NANOS": 1}
_JULIAN_UNIX_EPOCH = 2_440_588
_DECIMAL_CONTEXT = decimal.Context(prec=200)
_MIN_NS_DAY, _MAX_NS_DAY = -106_751, 106_750  # the days datetime64[ns] can hold
_EPOCH_DATE = datetime.date(1970, 1, 1)


def _kind(element):
    """Normalises the logical type and the legacy converted type to one tuple."""
    lt, ct = element.logical, element.converted_type
    if lt is not None:
        if lt.name == "TIMESTAMP":
            return ("timestamp", lt.unit, lt.is_adjusted_to_utc)
        if lt.name == "TIME":
            return ("time", lt.unit)
        if lt.name == "DECIMAL":
            return ("decimal", lt.scale)
        if lt.name == "INTEGER":
            return ("int", lt.bit_width, lt.is_signed)
        if lt.name in ("STRING", "ENUM", "JSON"):
            return ("string",)
        if lt.name in ("DATE", "UUID", "FLOAT16"):
            return (lt.name.lower(),)
    if ct in ("UTF8", "ENUM", "JSON"):
        return ("string",)
    if ct == "DATE":
        return ("date",)
    if ct in ("TIMESTAMP_MILLIS", "TIMESTAMP_MICROS"):
        return ("timestamp", ct[10:], False)
    if ct in ("TIME_MILLIS", "TIME_MICROS"):
        return ("time", ct[5:])
    if ct == "DECIMAL":
        return ("decimal", element.scale)
    if ct in _INT_CONVERTED:
        return ("int",) + _INT_CONVERTED[ct]
    return ("plain",)


def to_series(name, element, values, valid, num_rows):
    """A pandas Series for one column from its non-null values and validity mask."""
    kind = _kind(element)
    try:
        converted = _convert(kind, element, values)
    except ParquetError:
        raise
    except (ValueError, TypeError, OverflowError) as err:
        raise ParquetError(f"column '{name}': cannot convert its values ({err})") from None
    # Out-of-range timestamps come back as aware datetime objects, already in UTC.
    tz = "UTC" if kind[0] == "timestamp" and kind[2] and converted.dtype.kind == "M" else None
    if valid is not None:
        converted = _with_nulls(converted, valid)
    if len(converted) != num_rows:
        raise ParquetError(f"column '{name}' has {len(converted)} values for {num_rows} rows (corrupt file)")
    series = pd.Series(converted, name=name, copy=False)
    if tz:
        series = series.dt.tz_localize(tz)
    return series


def _with_nulls(values, valid):
    if values.dtype.kind in "iu":
        out = np.full(len(valid), np.nan)
    elif values.dtype.kind == "b" or values.dtype == object:
        out = np.full(len(valid), None, dtype=object)
    elif values.dtype.kind == "M":
        out = np.full(len(valid), np.datetime64("NaT"), dtype=values.dtype)
    elif values.dtype.kind == "f":
        out = np.full(len(valid), np.nan, dtype=values.dtype)
    else:
        out = np.full(len(valid), None, dtype=object)
    out[valid] = values
    return out


def _convert(kind, element, values):
    ptype = element.type
    if ptype == md.INT96:
        return _int96(values)
    if kind[0] == "int" and ptype in (md.INT32, md.INT64):
        bits, signed = kind[1], kind[2]
        width = 32 if ptype == md.INT32 else 64
        dtype = np.dtype(f"{'i' if signed else 'u'}{max(bits, 8) // 8}")
        if not signed:
            values = values.view(f"u{width // 8}")
        return values.astype(dtype, copy=False)
    if kind[0] == "date":
        return _dates(values)
    if kind[0] == "timestamp":
        return _timestamps(values, kind[1], kind[2])
    if kind[0] == "time":
        return _times(values, kind[1])
    if kind[0] == "decimal":
        return _decimals(values, ptype, kind[1])
    if kind[0] == "string":
        return _strings(values)
    if kind[0] == "uuid":
        return _objects([str(uuid.UUID(bytes=b)) for b in values])
    if kind[0] == "float16":
        return np.frombuffer(b"".join(values), "<f2").astype(np.float32)
    if ptype in (md.INT32, md.INT64):
        return values.astype(np.int64, copy=False)
    return values


def _objects(items):
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _strings(values):
    # A dictionary-decoded column repeats the same bytes objects; decode each once.
    cache = {}
    out = []
    for item in values:
        text = cache.get(item)
        if text is None:
            text = cache[item] = item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        out.append(text)
    return _objects(out)


def _dates(values):
    days = values.astype(np.int64)
    if days.size and (days.min() < _MIN_NS_DAY or days.max() > _MAX_NS_DAY):
        # Warehouses use 9999-12-31 as "no end date"; datetime64[ns] stops in 2262, and numpy
        # would wrap silently, so such a column holds datetime.date objects instead.
        return _objects([_EPOCH_DATE + datetime.timedelta(days=d) for d in days.tolist()])
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def _timestamps(values, unit, utc):
    factor = _UNIT_NS[unit]
    raw = values.astype(np.int64)
    limit = np.iinfo(np.int64).max // factor
    if raw.size and (raw.max() > limit or raw.min() < -limit):
        # Beyond datetime64[ns] (years before 1677 or after 2262): datetime objects, as above.
        tz = datetime.timezone.utc if utc else None
        start = datetime.datetime(1970, 1, 1, tzinfo=tz)
        # Only MILLIS and MICROS can overflow nanoseconds.
        to_micros = 1_000 if unit == "MILLIS" else 1
        return _objects([start + datetime.timedelta(microseconds=v * to_micros) for v in raw.tolist()])
    return (raw * factor).view("datetime64[ns]")


def _times(values, unit):
    per_second = {"MILLIS": 1_000, "MICROS": 1_000_000, "NANOS": 1_000_000_000}[unit]
    out = []
    for v in values.tolist():
        seconds, frac = divmod(int(v), per_second)
        micros = frac * 1_000_000 // per_second
        out.append(datetime.time(seconds // 3600, seconds // 60 % 60, seconds % 60, micros))
    return _objects(out)


def _decimals(values, ptype, scale):
    if ptype in (md.INT32, md.INT64):
        ints = values.tolist()
    else:
        ints = [int.from_bytes(b, "big", signed=True) for b in values]
    return _objects([decimal.Decimal(i).scaleb(-scale, _DECIMAL_CONTEXT) for i in ints])


def _int96(values):
    """Spark/Impala timestamps: 8 bytes of nanoseconds in the day, then a Julian day."""
    nanos = values[:, :8].copy().view("<i8").reshape(-1)
    days = values[:, 8:].copy().view("<i4").reshape(-1).astype(np.int64)
    return ((days - _JULIAN_UNIX_EPOCH) * 86_400_000_000_000 + nanos).view("datetime64[ns]")
