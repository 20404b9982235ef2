"""Page codecs. Codec modules are imported only when a page needs them, so a file
without, say, Brotli pages opens even where the brotli module is missing."""
import struct
import zlib

from . import metadata as md
from .errors import ParquetError

_MODULES = {"SNAPPY": "snappy", "ZSTD": "zstandard", "BROTLI": "brotli", "LZ4": "lz4.block", "LZ4_RAW": "lz4.block"}


def _module(codec):
    name = _MODULES[codec]
    try:
        return __import__(name, fromlist=["_"])
    except ImportError as err:
        raise ParquetError(f"this file uses {codec} compression, but the Python module '{name}' "
                           f"is not available here ({err})") from None


def decompress(codec_id, data, uncompressed_size):
    codec = md.CODEC_NAMES.get(codec_id, str(codec_id))
    try:
        return _decompress(codec, bytes(data), uncompressed_size)
    except ParquetError:
        raise
    except Exception as err:  # codec libraries raise their own error types
        raise ParquetError(f"could not decompress a {codec} page: {err}") from None


def _decompress(codec, data, size):
    if codec == "UNCOMPRESSED":
        return data
    if codec == "GZIP":
        # wbits 47 accepts gzip or zlib headers; Parquet GZIP pages are gzip streams.
        return zlib.decompress(data, 47)
    if codec == "SNAPPY":
        return _module(codec).uncompress(data)
    if codec == "ZSTD":
        return _module(codec).ZstdDecompressor().decompress(data, max_output_size=size)
    if codec == "BROTLI":
        return _module(codec).decompress(data)
    if codec == "LZ4_RAW":
        return _module(codec).decompress(data, uncompressed_size=size)
    if codec == "LZ4":
        return _lz4_hadoop(_module(codec), data, size)
    raise ParquetError(f"this file uses {codec} compression, which this reader does not support")


def _lz4_hadoop(lz4_block, data, size):
    """The deprecated LZ4 codec: Hadoop frames (two big-endian sizes per block) or, from
    some writers, a bare LZ4 block; try the framing first."""
    try:
        out, pos = bytearray(), 0
        while pos < len(data):
            total, pos = struct.unpack_from(">I", data, pos)[0], pos + 4
            produced = 0
            while produced < total:
                clen, pos = struct.unpack_from(">I", data, pos)[0], pos + 4
                chunk = lz4_block.decompress(data[pos:pos + clen], uncompressed_size=total - produced)
                pos += clen
                produced += len(chunk)
                out += chunk
        if len(out) == size:
            return bytes(out)
    except Exception:  # not Hadoop-framed: fall back to a raw block
        pass
    return lz4_block.decompress(data, uncompressed_size=size)


_WRITE_CODECS = {"snappy": 1, "gzip": 2, "brotli": 4, "zstd": 6, "lz4": 7, "lz4_raw": 7,
                 "none": 0, "uncompressed": 0}


def codec_for(name):
    """The codec id for a to_parquet ``compression=`` value."""
    if name is None:
        return 0
    codec = _WRITE_CODECS.get(str(name).lower())
    if codec is None:
        raise ParquetError(f"unknown compression {name!r}; use one of: snappy, gzip, zstd, brotli, lz4, none")
    return codec


def compress(codec_id, data):
    codec = md.CODEC_NAMES[codec_id]
    if codec == "UNCOMPRESSED":
        return data
    if codec == "GZIP":
        z = zlib.compressobj(6, zlib.DEFLATED, 31)
        return z.compress(data) + z.flush()
    if codec == "SNAPPY":
        return _module(codec).compress(data)
    if codec == "ZSTD":
        return _module(codec).ZstdCompressor(level=3).compress(data)
    if codec == "BROTLI":
        return _module(codec).compress(data)
    if codec == "LZ4_RAW":
        return _module(codec).compress(data, store_size=False)
    raise ParquetError(f"cannot write {codec} compression")
