"""Thrift compact protocol, the encoding of every Parquet footer and page header.

The reader is schema-less: it turns a struct into ``{field_id: value}`` so that
fields added by newer writers are skipped for free, and metadata.py gives the ids
their names. The writer takes ``[(field_id, type, value), ...]`` lists.
"""
import struct

from .errors import ParquetError

STOP, TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(13)


class CompactReader:
    """Reads compact-protocol values from a bytes buffer, tracking the position."""

    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def _byte(self):
        if self.pos >= len(self.data):
            raise ParquetError("truncated Parquet metadata (thrift data ends early)")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self):
        shift = result = 0
        while True:
            byte = self._byte()
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    def zigzag(self):
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def binary(self):
        size = self.varint()
        end = self.pos + size
        if end > len(self.data):
            raise ParquetError("truncated Parquet metadata (thrift string runs past the end)")
        value = bytes(self.data[self.pos:end])
        self.pos = end
        return value

    def value(self, ttype):
        if ttype in (TRUE, FALSE):
            # Inside lists a bool is a byte of its own; as a field its value is the type.
            return ttype == TRUE
        if ttype == BYTE:
            byte = self._byte()
            return byte - 256 if byte > 127 else byte
        if ttype in (I16, I32, I64):
            return self.zigzag()
        if ttype == DOUBLE:
            value = struct.unpack_from("<d", self.data, self.pos)[0]
            self.pos += 8
            return value
        if ttype == BINARY:
            return self.binary()
        if ttype in (LIST, SET):
            return self.list_()
        if ttype == MAP:
            return self.map_()
        if ttype == STRUCT:
            return self.struct()
        raise ParquetError(f"corrupt Parquet metadata (unknown thrift type {ttype})")

    def list_(self):
        header = self._byte()
        size, etype = header >> 4, header & 0x0F
        if size == 15:
            size = self.varint()
        if etype in (TRUE, FALSE):
            return [self._byte() == TRUE for _ in range(size)]
        return [self.value(etype) for _ in range(size)]

    def map_(self):
        size = self.varint()
        if size == 0:
            return {}
        types = self._byte()
        ktype, vtype = types >> 4, types & 0x0F
        return {self.value(ktype): self.value(vtype) for _ in range(size)}

    def struct(self):
        fields = {}
        last_id = 0
        while True:
            header = self._byte()
            if header == STOP:
                return fields
            ttype, delta = header & 0x0F, header >> 4
            field_id = last_id + delta if delta else self.zigzag()
            fields[field_id] = self.value(ttype)
            last_id = field_id


def read_struct(data, pos=0):
    """Parses one struct at ``pos``; returns ``(fields, position after it)``."""
    reader = CompactReader(data, pos)
    fields = reader.struct()
    return fields, reader.pos


class CompactWriter:
    """Appends compact-protocol values to a bytearray."""

    def __init__(self):
        self.out = bytearray()

    def varint(self, n):
        while n > 0x7F:
            self.out.append((n & 0x7F) | 0x80)
            n >>= 7
        self.out.append(n)

    def zigzag(self, n):
        self.varint((n << 1) ^ (n >> 63))

    def value(self, ttype, value):
        if ttype == BYTE:
            self.out.append(value & 0xFF)
        elif ttype in (I16, I32, I64):
            self.zigzag(int(value))
        elif ttype == DOUBLE:
            self.out += struct.pack("<d", value)
        elif ttype == BINARY:
            raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            self.varint(len(raw))
            self.out += raw
        elif ttype == LIST:
            etype, items = value
            if len(items) < 15:
                self.out.append((len(items) << 4) | etype)
            else:
                self.out.append(0xF0 | etype)
                self.varint(len(items))
            for item in items:
                if etype in (TRUE, FALSE):
                    self.out.append(TRUE if item else FALSE)
                else:
                    self.value(etype, item)
        elif ttype == STRUCT:
            self.struct(value)
        else:
            raise ParquetError(f"cannot write thrift type {ttype}")

    def struct(self, fields):
        last_id = 0
        for field_id, ttype, value in fields:
            if value is None:
                continue
            if ttype in (TRUE, FALSE):
                ttype = TRUE if value else FALSE
            delta = field_id - last_id
            if 0 < delta <= 15:
                self.out.append((delta << 4) | ttype)
            else:
                self.out.append(ttype)
                self.zigzag(field_id)
            if ttype not in (TRUE, FALSE):
                self.value(ttype, value)
            last_id = field_id
        self.out.append(STOP)


def write_struct(fields):
    """Serialises ``[(field_id, type, value), ...]`` (None values omitted) to bytes."""
    writer = CompactWriter()
    writer.struct(fields)
    return bytes(writer.out)
