"""Parquet footer metadata: names for the thrift field ids, and the enums' values.

Only what a flat-table reader and writer need is named; everything else in the
footer is parsed generically and ignored, so newer files still open.
"""
from dataclasses import dataclass, field

from . import thrift_compact as tc
from .errors import ParquetError

# parquet.thrift enums
BOOLEAN, INT32, INT64, INT96, FLOAT, DOUBLE, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY = range(8)
TYPE_NAMES = ["BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"]
REQUIRED, OPTIONAL, REPEATED = range(3)
CONVERTED = {0: "UTF8", 1: "MAP", 2: "MAP_KEY_VALUE", 3: "LIST", 4: "ENUM", 5: "DECIMAL", 6: "DATE",
             7: "TIME_MILLIS", 8: "TIME_MICROS", 9: "TIMESTAMP_MILLIS", 10: "TIMESTAMP_MICROS",
             11: "UINT_8", 12: "UINT_16", 13: "UINT_32", 14: "UINT_64", 15: "INT_8", 16: "INT_16",
             17: "INT_32", 18: "INT_64", 19: "JSON", 20: "BSON", 21: "INTERVAL"}
CODEC_NAMES = {0: "UNCOMPRESSED", 1: "SNAPPY", 2: "GZIP", 3: "LZO", 4: "BROTLI", 5: "LZ4", 6: "ZSTD", 7: "LZ4_RAW"}
DATA_PAGE, INDEX_PAGE, DICTIONARY_PAGE, DATA_PAGE_V2 = range(4)
PLAIN, PLAIN_DICTIONARY, RLE, BIT_PACKED = 0, 2, 3, 4
DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, RLE_DICTIONARY, BYTE_STREAM_SPLIT = 5, 6, 7, 8, 9
LOGICAL_NAMES = {1: "STRING", 2: "MAP", 3: "LIST", 4: "ENUM", 5: "DECIMAL", 6: "DATE", 7: "TIME",
                 8: "TIMESTAMP", 10: "INTEGER", 11: "UNKNOWN", 12: "JSON", 13: "BSON", 14: "UUID", 15: "FLOAT16"}
TIME_UNITS = {1: "MILLIS", 2: "MICROS", 3: "NANOS"}


@dataclass
class LogicalType:
    """The LogicalType union flattened: ``name`` plus the parameters that kind uses."""
    name: str
    is_adjusted_to_utc: bool = False
    unit: str = ""
    scale: int = 0
    precision: int = 0
    bit_width: int = 0
    is_signed: bool = True


@dataclass
class SchemaElement:
    name: str
    type: int = None
    type_length: int = 0
    repetition: int = REQUIRED
    num_children: int = 0
    converted_type: str = None
    scale: int = 0
    precision: int = 0
    logical: LogicalType = None


@dataclass
class ColumnChunk:
    type: int
    path: list
    codec: int
    num_values: int
    data_page_offset: int
    dictionary_page_offset: int = None
    total_compressed_size: int = 0


@dataclass
class RowGroup:
    num_rows: int
    columns: list


@dataclass
class FileMetaData:
    version: int
    schema: list
    num_rows: int
    row_groups: list
    key_value: dict = field(default_factory=dict)
    created_by: str = ""


def _logical(fields):
    if not fields:
        return None
    kind, params = next(iter(fields.items()))
    logical = LogicalType(LOGICAL_NAMES.get(kind, f"UNKNOWN_{kind}"))
    if kind in (7, 8):
        logical.is_adjusted_to_utc = bool(params.get(1, False))
        logical.unit = TIME_UNITS.get(next(iter(params.get(2, {1: {}}))), "MILLIS")
    elif kind == 5:
        logical.scale, logical.precision = params.get(1, 0), params.get(2, 0)
    elif kind == 10:
        logical.bit_width, logical.is_signed = params.get(1, 64), bool(params.get(2, True))
    return logical


def _schema_element(f):
    return SchemaElement(
        name=f.get(4, b"").decode("utf-8", "replace"), type=f.get(1), type_length=f.get(2, 0),
        repetition=f.get(3, REQUIRED), num_children=f.get(5, 0), converted_type=CONVERTED.get(f.get(6)),
        scale=f.get(7, 0), precision=f.get(8, 0), logical=_logical(f.get(10)))


def _column_chunk(f):
    meta = f.get(3)
    if meta is None:
        raise ParquetError("column chunk without metadata (external column files are not supported)")
    if f.get(1):
        raise ParquetError("this file keeps its columns in other files (file_path); read those files instead")
    return ColumnChunk(
        type=meta[1], path=[p.decode("utf-8", "replace") for p in meta[3]], codec=meta[4],
        num_values=meta[5], data_page_offset=meta[9], dictionary_page_offset=meta.get(11),
        total_compressed_size=meta.get(7, 0))


def parse_file_metadata(data):
    """Turns the footer's bytes into a FileMetaData."""
    f, _ = tc.read_struct(data)
    key_value = {}
    for kv in f.get(5, []):
        key_value[kv.get(1, b"").decode("utf-8", "replace")] = kv.get(2, b"").decode("utf-8", "replace")
    return FileMetaData(
        version=f.get(1, 1), schema=[_schema_element(s) for s in f.get(2, [])], num_rows=f.get(3, 0),
        row_groups=[RowGroup(rg.get(3, 0), [_column_chunk(c) for c in rg.get(1, [])]) for rg in f.get(4, [])],
        key_value=key_value, created_by=f.get(6, b"").decode("utf-8", "replace"))


def parse_page_header(data, pos):
    """Returns ``(fields, position of the page body)`` for the page header at ``pos``."""
    return tc.read_struct(data, pos)


# ---- writing ----

def logical_fields(logical):
    """The LogicalType union as writer fields."""
    kind = {v: k for k, v in LOGICAL_NAMES.items()}[logical.name]
    params = []
    if logical.name in ("TIMESTAMP", "TIME"):
        unit = {v: k for k, v in TIME_UNITS.items()}[logical.unit]
        params = [(1, tc.TRUE, logical.is_adjusted_to_utc), (2, tc.STRUCT, [(unit, tc.STRUCT, [])])]
    elif logical.name == "DECIMAL":
        params = [(1, tc.I32, logical.scale), (2, tc.I32, logical.precision)]
    elif logical.name == "INTEGER":
        params = [(1, tc.BYTE, logical.bit_width), (2, tc.TRUE, logical.is_signed)]
    return [(kind, tc.STRUCT, params)]


def schema_element_fields(el):
    converted = {v: k for k, v in CONVERTED.items()}.get(el.converted_type)
    return [(1, tc.I32, el.type), (2, tc.I32, el.type_length or None),
            (3, tc.I32, el.repetition if el.type is not None else None), (4, tc.BINARY, el.name),
            (5, tc.I32, el.num_children or None), (6, tc.I32, converted),
            (7, tc.I32, el.scale if converted == 5 else None), (8, tc.I32, el.precision if converted == 5 else None),
            (10, tc.STRUCT, logical_fields(el.logical) if el.logical else None)]
