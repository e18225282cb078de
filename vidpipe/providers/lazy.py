"""Provider packages whose classes load when first named, so reading their `SETTINGS` (or
listing them) imports no SDK and no HTTP client."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_classes(package: str, classes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: each class name imports its submodule on first use,
    and `PROVIDERS` lists the classes in the mapping's order. `classes`: class name → submodule."""

    def attribute(name: str) -> Any:
        if name == "PROVIDERS":
            return [attribute(cls) for cls in classes]
        if name in classes:
            return getattr(importlib.import_module(f"{package}.{classes[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return attribute
