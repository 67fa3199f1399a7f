"""The example workbooks: one config each in `example_configs/`, written to `workbooks/` and checked."""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from sheetnet import api
from sheetnet.errors import SheetnetError
from sheetnet.model import config


def example_configs() -> dict[str, Path]:
    """Example name -> its TOML config, in name order."""
    folder = resources.files("sheetnet") / "example_configs"
    return {Path(item.name).stem: Path(str(item)) for item in sorted(folder.iterdir(), key=lambda p: p.name)
            if item.name.endswith(".toml")}


def example_config(name: str) -> Path:
    """The config of the example called `name` (as `sheetnet examples --list` shows them)."""
    configs = example_configs()
    if name not in configs:
        raise SheetnetError(f"unknown example {name!r}; choose one of {', '.join(configs)} "
                            f"(sheetnet examples --list)")
    return configs[name]


def describe(name: str) -> str:
    """One line about an example: the first sentence of its config's opening comment."""
    comment = []
    for line in example_config(name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    text = " ".join(comment)
    end = text.find(". ")
    return text if end < 0 else text[:end + 1]


def chosen_config(example: str | None, config_path: str | Path | None) -> str | Path | None:
    """The config `new` reads: an example's (by name) or the user's file, not both."""
    if example is None:
        return config_path
    if config_path is not None:
        raise SheetnetError("give either --example or --config, not both")
    return example_config(example)


def listing() -> list[str]:
    """`sheetnet examples --list`: each example's name, then one line on what it shows."""
    names = list(example_configs())
    width = max(map(len, names))
    return [f"{name:<{width}}  {describe(name)}" for name in names]


def regenerate_and_check(folder: Path, *, engine: str = "fast", check: bool = True,
                         echo: Callable[[str], None] = print, only: list[str] | None = None,
                         force: bool = False) -> int:
    """Write every example into `folder` and check it; returns failures. Existing files are replaced only
    with `force` (and all are refused before any is written)."""
    chosen = {name: path for name, path in example_configs().items() if not only or name in only}
    existing = [folder / f"{name}.xlsx" for name in chosen if (folder / f"{name}.xlsx").exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise SheetnetError(f"{existing[0]} already exists{more}; use --force to replace the examples in {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    failures = 0
    for name, cfg_path in chosen.items():
        out = folder / f"{name}.xlsx"
        started = time.perf_counter()
        count = api.build(config.load(cfg_path), out, force=True)
        line = f"{out}: {count:,} formula cells, written in {time.perf_counter() - started:.1f} s"
        if check:
            started = time.perf_counter()
            report = api.check(out, engine)
            line += f"; {report.verdict()} [{time.perf_counter() - started:.1f} s]"
            if not report.ok:
                failures += 1
                line += "\n" + "\n".join(report.details())
        echo(line)
    return failures
