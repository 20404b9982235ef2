"""The schema tree flattened to top-level columns, and the refusal of nested ones.

This package reads flat tables only; a nested column is named in the error with
what kind it is, so the user can pick the other columns with ``columns=``.
"""
from dataclasses import dataclass

from . import metadata as md
from .errors import ParquetError


@dataclass
class Column:
    name: str
    element: md.SchemaElement
    max_def: int
    nested_kind: str = None  # "a list", "a map", "a struct" or None for a flat column


def _kind(element):
    names = {element.converted_type, element.logical.name if element.logical else None}
    if names & {"LIST"}:
        return "a list"
    if names & {"MAP", "MAP_KEY_VALUE"}:
        return "a map"
    if element.repetition == md.REPEATED:
        return "a repeated field"
    return "a struct"


def top_level_columns(schema):
    """One Column per child of the root; groups and repeated leaves are marked nested."""
    if not schema:
        raise ParquetError("this Parquet file has no schema")
    columns, pos = [], 1
    for _ in range(schema[0].num_children):
        element = schema[pos]
        nested = element.num_children > 0 or element.repetition == md.REPEATED
        columns.append(Column(element.name, element, 1 if element.repetition == md.OPTIONAL else 0,
                              _kind(element) if nested else None))
        pos = _skip_subtree(schema, pos)
    return columns


def _skip_subtree(schema, pos):
    remaining = 1
    while remaining:
        if pos >= len(schema):
            raise ParquetError("corrupt Parquet schema (fewer elements than the tree announces)")
        remaining += schema[pos].num_children - 1
        pos += 1
    return pos


def nested_error(column):
    return ParquetError(
        f"column '{column.name}' is {column.nested_kind}: this sandbox reads flat Parquet columns only "
        "(numbers, text, booleans, dates, times, decimals); select the other columns with columns=[...]")


def select(columns, wanted, always=()):
    """The columns to read, in the order asked for; unknown names and nested ones are errors."""
    by_name = {c.name: c for c in columns}
    if wanted is None:
        chosen = columns
    else:
        if isinstance(wanted, str):
            wanted = [wanted]
        unknown = [w for w in wanted if w not in by_name]
        if unknown:
            available = ", ".join(repr(c.name) for c in columns if not c.name.startswith("__index_level_"))
            raise ParquetError(f"no column named {', '.join(map(repr, unknown))} in this Parquet file; "
                               f"the columns are: {available}")
        chosen = [by_name[w] for w in wanted]
        chosen += [by_name[a] for a in always if a in by_name and by_name[a] not in chosen]
    for column in chosen:
        if column.nested_kind:
            raise nested_error(column)
    return chosen
