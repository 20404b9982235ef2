"""Keeps IPython's unused front ends out of the kernel's memory.

Importing IPython loads its terminal front end (prompt_toolkit, through ``IPython.terminal.embed``)
and the jedi completer: about 12 MiB in every sandbox, paid by every idle and pooled container,
for a kernel that has no terminal and completes nothing. They are hidden only while IPython
loads; afterwards both import as usual for code that wants them.
"""

import contextlib
import sys
import types

_TERMINAL_EMBED = "IPython.terminal.embed"


def _embed_unavailable(*_args, **_kwargs):
    raise RuntimeError("IPython.embed() needs a terminal; the sandbox runs code without one")


@contextlib.contextmanager
def lean_ipython_import():
    hidden = {}
    for name, stand_in in (("jedi", None), (_TERMINAL_EMBED, _terminal_stand_in())):
        if name not in sys.modules:
            hidden[name] = stand_in
            # None makes `import jedi` fail, so IPython's completer goes without it.
            sys.modules[name] = stand_in
    try:
        yield
    finally:
        for name, stand_in in hidden.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


def _terminal_stand_in():
    module = types.ModuleType(_TERMINAL_EMBED)
    module.embed = _embed_unavailable
    return module
