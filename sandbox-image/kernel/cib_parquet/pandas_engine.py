"""Makes pd.read_parquet and DataFrame.to_parquet work without pyarrow or fastparquet.

pandas 1.5 picks an engine in ``pandas.io.parquet.get_engine``; with engine "auto"
it tries pyarrow then fastparquet and raises ImportError. We wrap that function so
"auto" falls back to this package only when both are missing; an explicit
engine="pyarrow" keeps pandas' own ImportError, so nothing is hidden.
"""
from .errors import ParquetError

_MARK = "_cib_parquet_wrapped"


class CibParquetImpl:
    """pandas' BaseImpl interface (read/write) over this package."""

    api = None

    def read(self, path, columns=None, storage_options=None, use_nullable_dtypes=False, **kwargs):
        from .reader import read_parquet
        _refuse_extras(kwargs, "read_parquet", allowed=set())
        _check_remote(path, storage_options)
        frame = read_parquet(path, columns=columns)
        if use_nullable_dtypes:
            frame = frame.convert_dtypes()
        return frame

    def write(self, df, path, compression="snappy", index=None, partition_cols=None, storage_options=None,
              **kwargs):
        from .writer import write_parquet
        if partition_cols:
            raise ParquetError("partition_cols is not supported in this sandbox: write one file per group "
                               "yourself, e.g. for key, part in df.groupby(col): part.to_parquet(f'{key}.parquet')")
        _refuse_extras(kwargs, "to_parquet", allowed={"row_group_size"})
        _check_remote(path, storage_options)
        if not hasattr(df, "columns"):
            raise ParquetError("to_parquet only supports DataFrames")
        write_parquet(df, path, compression=compression, index=index,
                      row_group_size=kwargs.get("row_group_size") or 1_000_000)


def _refuse_extras(kwargs, what, allowed):
    extra = sorted(set(kwargs) - allowed)
    if extra:
        raise ParquetError(f"{what}: option(s) {', '.join(extra)} need pyarrow, which this sandbox does not have")


def _check_remote(path, storage_options):
    text = str(path) if isinstance(path, str) else ""
    if storage_options or "://" in text:
        raise ParquetError("this sandbox has no network: read and write local files (uploads are in /mnt/data)")


def _has(module):
    import importlib.util
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def install():
    """Wraps pandas' get_engine once; cheap and idempotent."""
    import pandas.io.parquet as pq
    if getattr(pq.get_engine, _MARK, False):
        return
    original = pq.get_engine

    def get_engine(engine):
        if engine == "auto":
            from pandas import get_option
            engine = get_option("io.parquet.engine")
        if engine == "auto":
            try:
                return original("auto")
            except ImportError:
                return CibParquetImpl()
        return original(engine)

    setattr(get_engine, _MARK, True)
    get_engine.__wrapped__ = original
    pq.get_engine = get_engine
