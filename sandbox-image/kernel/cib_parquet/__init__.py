"""Pure-Python Parquet for flat tables, standing in for pyarrow in the sandbox.

The sandbox has no pyarrow or fastparquet; this package reads the flat Parquet
files people upload and writes Parquet that pyarrow and arrow-rs read back.
"""
from .errors import ParquetError
from .reader import describe_parquet, read_parquet
from .writer import write_parquet
from .pandas_engine import install as install_pandas_engine

__all__ = ["ParquetError", "describe_parquet", "read_parquet", "write_parquet", "install_pandas_engine"]
