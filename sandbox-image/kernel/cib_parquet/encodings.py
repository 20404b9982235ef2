"""Parquet value encodings, decoded with numpy where the layout allows it.

Fixed-width PLAIN values are one np.frombuffer; bit-packed runs are unpacked with
np.unpackbits; only variable-length byte arrays need a per-value Python loop.
"""
import struct

import numpy as np

from . import metadata as md
from .errors import ParquetError

_FIXED = {md.INT32: "<i4", md.INT64: "<i8", md.FLOAT: "<f4", md.DOUBLE: "<f8"}


def _varint(data, pos):
    shift = result = 0
    while True:
        if pos >= len(data):
            raise ParquetError("corrupt Parquet page (varint runs past the end)")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _zigzag(data, pos):
    n, pos = _varint(data, pos)
    return (n >> 1) ^ -(n & 1), pos


def unpack_bits(data, bit_width, count):
    """Little-endian bit-packed unsigned values, as Parquet packs them, to int64."""
    if bit_width == 0:
        return np.zeros(count, dtype=np.int64)
    nbytes = (count * bit_width + 7) // 8
    raw = np.frombuffer(data, dtype=np.uint8, count=nbytes)
    bits = np.unpackbits(raw, bitorder="little")[: count * bit_width].reshape(count, bit_width)
    if bit_width <= 63:
        weights = (np.int64(1) << np.arange(bit_width, dtype=np.int64))
        return bits.astype(np.int64) @ weights
    weights = (np.uint64(1) << np.arange(bit_width, dtype=np.uint64))
    return (bits.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64).view(np.int64)


def plain(data, ptype, count, type_length=0):
    """PLAIN values: a numpy array for fixed widths, a list of bytes for byte arrays."""
    if ptype in _FIXED:
        width = np.dtype(_FIXED[ptype]).itemsize
        if len(data) < count * width:
            raise ParquetError("corrupt Parquet page (fewer PLAIN values than announced)")
        return np.frombuffer(data, dtype=_FIXED[ptype], count=count)
    if ptype == md.BOOLEAN:
        return np.unpackbits(np.frombuffer(data, np.uint8, (count + 7) // 8), bitorder="little")[:count].astype(bool)
    if ptype == md.INT96:
        return np.frombuffer(data, dtype=np.uint8, count=count * 12).reshape(count, 12)
    if ptype == md.FIXED_LEN_BYTE_ARRAY:
        mv = memoryview(data)
        return [bytes(mv[i * type_length:(i + 1) * type_length]) for i in range(count)]
    if ptype == md.BYTE_ARRAY:
        out, pos, mv = [], 0, memoryview(data)
        unpack = struct.Struct("<I").unpack_from
        for _ in range(count):
            (size,) = unpack(data, pos)
            pos += 4
            out.append(bytes(mv[pos:pos + size]))
            pos += size
        return out
    raise ParquetError(f"unknown Parquet physical type {ptype}")


def rle_hybrid(data, bit_width, count, pos=0):
    """The RLE/bit-packed hybrid (levels, dictionary indices); returns int64 values."""
    out = np.empty(count, dtype=np.int64)
    filled = 0
    value_bytes = (bit_width + 7) // 8
    mv = memoryview(data)
    while filled < count:
        if pos >= len(data):
            # Writers may stop a trailing run early when the rest is padding.
            raise ParquetError("corrupt Parquet page (RLE data ends before all values)")
        header, pos = _varint(data, pos)
        if header & 1:
            n = (header >> 1) * 8
            nbytes = (n * bit_width + 7) // 8
            take = min(n, count - filled)
            out[filled:filled + take] = unpack_bits(mv[pos:pos + nbytes], bit_width, n)[:take] if nbytes else 0
            pos += nbytes
        else:
            n = header >> 1
            value = int.from_bytes(mv[pos:pos + value_bytes], "little")
            pos += value_bytes
            take = min(n, count - filled)
            out[filled:filled + take] = value
        filled += take
    return out


def delta_binary_packed(data, pos=0):
    """DELTA_BINARY_PACKED integers; returns ``(int64 values, position after them)``."""
    block_size, pos = _varint(data, pos)
    miniblocks, pos = _varint(data, pos)
    total, pos = _varint(data, pos)
    first, pos = _zigzag(data, pos)
    per_mini = block_size // miniblocks if miniblocks else 0
    deltas = []
    remaining = total - 1
    mv = memoryview(data)
    while remaining > 0:
        min_delta, pos = _zigzag(data, pos)
        widths = data[pos:pos + miniblocks]
        pos += miniblocks
        for width in widths:
            if remaining <= 0:
                break
            nbytes = per_mini * width // 8
            values = unpack_bits(mv[pos:pos + nbytes], width, per_mini) if width else np.zeros(per_mini, np.int64)
            pos += nbytes
            take = min(per_mini, remaining)
            # uint64 wrap-around is part of the format, so add without overflow checks.
            deltas.append((values[:take].view(np.uint64) + np.uint64(min_delta & 0xFFFFFFFFFFFFFFFF)).view(np.int64))
            remaining -= take
    if total == 0:
        return np.zeros(0, np.int64), pos
    out = np.concatenate([np.array([first], dtype=np.int64)] + deltas)
    with np.errstate(over="ignore"):
        return np.cumsum(out.view(np.uint64), dtype=np.uint64).view(np.int64), pos


def delta_length_byte_array(data, pos=0):
    lengths, pos = delta_binary_packed(data, pos)
    out, mv = [], memoryview(data)
    for size in lengths.tolist():
        out.append(bytes(mv[pos:pos + size]))
        pos += size
    return out, pos


def delta_byte_array(data):
    prefixes, pos = delta_binary_packed(data, 0)
    suffixes, _ = delta_length_byte_array(data, pos)
    out, previous = [], b""
    for prefix, suffix in zip(prefixes.tolist(), suffixes):
        previous = previous[:prefix] + suffix
        out.append(previous)
    return out


def byte_stream_split(data, ptype, count, type_length=0):
    width = {md.FLOAT: 4, md.DOUBLE: 8, md.INT32: 4, md.INT64: 8}.get(ptype, type_length)
    raw = np.frombuffer(data, np.uint8, count * width).reshape(width, count).T.copy()
    if ptype in _FIXED:
        return raw.view(_FIXED[ptype]).reshape(count)
    return [row.tobytes() for row in raw]


def decode_values(encoding, data, ptype, count, type_length=0):
    """Non-dictionary values of a data page."""
    if encoding == md.PLAIN:
        return plain(data, ptype, count, type_length)
    if encoding == md.RLE and ptype == md.BOOLEAN:
        return rle_hybrid(data, 1, count, pos=4).astype(bool)
    if encoding == md.DELTA_BINARY_PACKED:
        values, _ = delta_binary_packed(data)
        return values[:count].astype(np.int32) if ptype == md.INT32 else values[:count]
    if encoding == md.DELTA_LENGTH_BYTE_ARRAY:
        return delta_length_byte_array(data)[0][:count]
    if encoding == md.DELTA_BYTE_ARRAY:
        return delta_byte_array(data)[:count]
    if encoding == md.BYTE_STREAM_SPLIT:
        return byte_stream_split(data, ptype, count, type_length)
    raise ParquetError(f"unsupported Parquet encoding {encoding}")


# ---- writing ----

def pack_bits(values, bit_width):
    """Little-endian bit packing of non-negative ints, padded to whole groups of 8."""
    values = np.asarray(values, dtype=np.uint64)
    padded = np.zeros(-(-len(values) // 8) * 8, dtype=np.uint64)
    padded[: len(values)] = values
    bits = ((padded[:, None] >> np.arange(bit_width, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    return np.packbits(bits.ravel(), bitorder="little").tobytes()


def _varint_bytes(n):
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def rle_hybrid_encode(values, bit_width):
    """One bit-packed run: simple, valid, and compressed well by the page codec."""
    if len(values) == 0:
        return b""
    groups = -(-len(values) // 8)
    return _varint_bytes((groups << 1) | 1) + pack_bits(values, bit_width)


def plain_encode_byte_arrays(items):
    """PLAIN BYTE_ARRAY: a 4-byte length before each value."""
    pack = struct.Struct("<I").pack
    parts = []
    for item in items:
        parts.append(pack(len(item)))
        parts.append(item)
    return b"".join(parts)
