"""Every section by key: the registry the run, the document and the notebooks read.

A section module in this package declares ``SPECS`` (one :class:`SectionSpec` per section it
serves) and ``SECTION_CLASS``; ``SECTIONS`` finds them, in the order of the modules' names and of
their SPECS. The modules are imported when ``SECTIONS`` is first read (they are plug-ins, found by
listing the package), so that a section module can import this one.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

NOT_SECTION_MODULES = {"base", "registry"}


@dataclass(frozen=True)
class SectionSpec:
    key: str
    notebook: str  # file name in notebooks/
    title: str
    # Which records the section measures: police.uk "crime" or "asb"; sections whose figures come
    # from several publishers name themselves.
    record_kind: str


class _Registry(Mapping):
    """Every section by key, in the order of the modules' names and of their SPECS."""

    def __init__(self) -> None:
        self._specs: dict[str, SectionSpec] | None = None
        self._classes: dict[str, type] = {}

    def _load(self) -> dict[str, SectionSpec]:
        if self._specs is None:
            specs: dict[str, SectionSpec] = {}
            package = importlib.import_module(__package__)  # its __path__ says where the modules are
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                if info.name in NOT_SECTION_MODULES or info.name.startswith("_"):
                    continue
                module = importlib.import_module(f"{__package__}.{info.name}")
                for spec in getattr(module, "SPECS", ()):
                    if spec.key in specs:
                        raise RuntimeError(f"section key {spec.key!r} is declared twice (sections/{info.name}.py)")
                    specs[spec.key] = spec
                    self._classes[spec.key] = module.SECTION_CLASS
            self._specs = specs
        return self._specs

    def __getitem__(self, key: str) -> SectionSpec:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def section_class(self, key: str) -> type:
        self._load()
        return self._classes[key]


SECTIONS = _Registry()


def section_titles() -> dict[str, str]:
    """Every section's title by key (the partnership's texts name their files after the keys)."""
    return {key: spec.title for key, spec in SECTIONS.items()}
