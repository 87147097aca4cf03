"""Heavy third-party modules imported on first use, so that commands which never need them never pay for them."""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyModule(types.ModuleType):
    """Stands for the module ``name`` and imports it the first time one of its attributes is read.

    ``np = LazyModule("numpy")`` at the top of a module keeps NumPy (about a third of SymPy's import time) out
    of the univariate cases, which never evaluate an array, while the module reads as if it imported NumPy.
    """

    def __init__(self, name: str):
        super().__init__(name)
        self._module: types.ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") and attribute.endswith("__"):
            raise AttributeError(attribute)
        if self._module is None:
            self._module = importlib.import_module(self.__name__)
        return getattr(self._module, attribute)
