"""The one exception users see, so `except ValueError` in their code still catches it."""


class ParquetError(ValueError):
    """A Parquet file (or a frame to write) this package cannot handle, said in plain words."""
