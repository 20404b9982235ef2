"""seaborn's example datasets without the internet the sandbox does not have.

The image ships some of seaborn-data's CSVs in SEABORN_DATA (build/seaborn-data.R), where
seaborn.load_dataset() finds them. For any other name, seaborn asks GitHub which datasets exist,
and the person would see a DNS error from urllib. Once seaborn is imported, the kernel makes
get_dataset_names() answer from the shipped files and load_dataset() name what is here instead.
Nothing is imported until user code imports seaborn: the hook only watches for it.
"""

import functools
import importlib.abc
import importlib.util
import os
import sys

_WATCHED = "seaborn"


def shipped_datasets():
    """The example datasets this sandbox has: seaborn's get_dataset_names() (its own asks GitHub)."""
    folder = os.environ.get("SEABORN_DATA", "")
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(name[: -len(".csv")] for name in names if name.endswith(".csv"))


def _missing_dataset(name):
    shipped = shipped_datasets()
    here = ", ".join(shipped) if shipped else "none"
    return ValueError(
        "seaborn's %r dataset is not in this sandbox, and it has no internet to download it. "
        "The example datasets here are: %s. For other data, load a file with pandas." % (name, here)
    )


def _offline_load_dataset(original):
    @functools.wraps(original)
    def load_dataset(name, cache=True, data_home=None, **kws):
        if not isinstance(name, str) or data_home is not None:
            return original(name, cache=cache, data_home=data_home, **kws)
        if name not in shipped_datasets():
            raise _missing_dataset(name)
        # cache=False would mean the URL; the shipped file is the only copy there is.
        return original(name, cache=True, **kws)

    return load_dataset


def _patch(seaborn):
    utils = sys.modules.get("seaborn.utils")
    if utils is None or not hasattr(utils, "load_dataset"):
        return
    load_dataset = _offline_load_dataset(utils.load_dataset)
    for module in (seaborn, utils):
        module.load_dataset = load_dataset
        module.get_dataset_names = shipped_datasets


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Finds seaborn as Python would, and patches it once its module has run."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _WATCHED:
            return None
        # Once only, and out of the way of the lookup below.
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run_module = loader.exec_module

        def exec_module(module):
            run_module(module)
            try:
                _patch(module)
            except Exception:  # noqa: BLE001 - seaborn works as shipped; only the offline words are lost
                pass

        loader.exec_module = exec_module
        return spec


def install():
    if _WATCHED in sys.modules:
        _patch(sys.modules[_WATCHED])
    elif not any(isinstance(finder, _PatchAfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PatchAfterImport())
