"""Reads one column chunk's pages into physical values plus a validity mask.

Pages are decoded one by one (dictionary page first, then v1 or v2 data pages);
the dictionary is looked up with numpy indexing so repeated strings cost little.
"""
import struct

import numpy as np

from . import compression, encodings
from . import metadata as md
from .errors import ParquetError


def read_chunk(data, chunk, element, max_def):
    """Returns ``(values, valid)``: non-null physical values (numpy array or object
    array of bytes) and a bool mask over all rows, or None when all are present."""
    start = chunk.data_page_offset
    if chunk.dictionary_page_offset and 0 < chunk.dictionary_page_offset < start:
        start = chunk.dictionary_page_offset
    dictionary, pieces, masks = None, [], []
    seen, pos = 0, start
    while seen < chunk.num_values:
        if pos >= len(data):
            raise ParquetError(f"column '{element.name}': pages end before all {chunk.num_values} values")
        header, body_start = md.parse_page_header(data, pos)
        page_type, size, compressed_size = header.get(1), header.get(2, 0), header.get(3, 0)
        body = data[body_start:body_start + compressed_size]
        pos = body_start + compressed_size
        if page_type == md.DICTIONARY_PAGE:
            dph = header.get(7, {})
            raw = compression.decompress(chunk.codec, body, size)
            dictionary = _as_array(encodings.plain(raw, chunk.type, dph.get(1, 0), element.type_length))
        elif page_type in (md.DATA_PAGE, md.DATA_PAGE_V2):
            values, valid, count = _data_page(header, body, chunk, element, max_def, dictionary)
            pieces.append(values)
            masks.append(valid)
            seen += count
        # index pages and unknown page kinds carry nothing a reader needs
    values = _concat(pieces)
    if all(m is None for m in masks):
        return values, None
    return values, _concat_masks(pieces, masks)


def _concat_masks(pieces, masks):
    # A page without nulls has as many rows as values.
    return np.concatenate([np.ones(len(p), bool) if m is None else m for p, m in zip(pieces, masks)])


def _as_array(values):
    if isinstance(values, list):
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array
    return values


def _concat(pieces):
    if not pieces:
        return np.empty(0, dtype=object)
    if len(pieces) == 1:
        return pieces[0]
    return np.concatenate(pieces)


def _data_page(header, body, chunk, element, max_def, dictionary):
    if header[1] == md.DATA_PAGE:
        dph = header[5]
        count, encoding = dph[1], dph[2]
        raw = compression.decompress(chunk.codec, body, header[2])
        pos = 0
        valid = None
        if max_def:
            (length,) = struct.unpack_from("<I", raw, 0)
            levels = encodings.rle_hybrid(raw[4:4 + length], 1, count)
            pos = 4 + length
            valid = levels == max_def
        payload = raw[pos:]
    else:
        dph = header[8]
        count, encoding = dph[1], dph[4]
        def_len, rep_len = dph.get(5, 0), dph.get(6, 0)
        if rep_len:
            raise ParquetError(f"column '{element.name}' has repetition levels (nested data)")
        levels_raw = body[:def_len]
        payload = body[def_len:]
        if dph.get(7, True) and chunk.codec != 0:
            payload = compression.decompress(chunk.codec, payload, header[2] - def_len)
        valid = encodings.rle_hybrid(levels_raw, 1, count) == max_def if max_def else None
    if valid is not None and valid.all():
        valid = None
    present = count if valid is None else int(valid.sum())
    values = _values(encoding, bytes(payload), chunk, element, present, dictionary)
    return values, valid, count


def _values(encoding, payload, chunk, element, present, dictionary):
    if encoding in (md.PLAIN_DICTIONARY, md.RLE_DICTIONARY):
        if dictionary is None:
            raise ParquetError(f"column '{element.name}': dictionary-encoded page without a dictionary page")
        if present == 0:
            return dictionary[:0]
        indices = encodings.rle_hybrid(payload, payload[0], present, pos=1)
        if indices.size and (indices.max() >= len(dictionary) or indices.min() < 0):
            raise ParquetError(f"column '{element.name}': dictionary index out of range (corrupt file)")
        return dictionary[indices]
    return _as_array(encodings.decode_values(encoding, payload, chunk.type, present, element.type_length))
