"""The `sheetnet` command: a thin layer over `api`. Bad input exits 2 with one line, never a traceback."""

from __future__ import annotations

import errno
import functools
import math
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path

import click
import numpy as np

from sheetnet import api, progress
from sheetnet.api import examples
from sheetnet.errors import SheetnetError
from sheetnet.evaluate.engines import ENGINES
from sheetnet.model import config
from sheetnet.model import options as choices
from sheetnet.model.text import printable


def _echo(text: str = "", err: bool = False) -> None:
    """Print one message line, whatever a path or a value in it holds: line breaks as \\r and \\n, every other
    control character (a terminal escape that retitles the window) as \\x.., never sent to the terminal; a name
    cannot move the cursor or print a line of its own."""
    click.echo(printable(str(text).replace("\r", "\\r").replace("\n", "\\n")), err=err)


def _environment(exc: OSError) -> str:
    """What the machine refused (no space, no permission, a name too long), said plainly."""
    where = exc.filename or ""
    reasons = {errno.ENOSPC: "no space left on the disk", errno.EACCES: "permission denied",
               errno.EPERM: "permission denied", errno.ENAMETOOLONG: "the file name is too long",
               errno.ENOTDIR: "a part of the path is a file, not a folder", errno.EROFS: "the disk is read-only",
               errno.EISDIR: "it is a folder", errno.ENOENT: "no such file or folder"}
    reason = reasons.get(exc.errno, exc.strerror or type(exc).__name__)
    return f"{where}: {reason}" if where else reason


def _user_errors(func):
    """Turn bad input into one line on stderr and exit status 2; a bug into one line and exit status 3."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)  # overflow in a diverging network is reported
                return func(*args, **kwargs)
        except SheetnetError as exc:
            _echo(f"sheetnet: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _echo("sheetnet: interrupted; no file was changed", err=True)
            sys.exit(130)
        except RecursionError:  # only pathological input nests this deep (formulas, TOML, XML): not a bug
            _echo("sheetnet: error: the input is nested too deeply to read (hundreds of levels)", err=True)
            sys.exit(2)
        except MemoryError:
            _echo("sheetnet: error: out of memory (the workbook is too large for this machine)", err=True)
            sys.exit(2)
        except OSError as exc:  # the user's machine, not a bug: a full disk, a read-only folder
            _echo(f"sheetnet: error: {_environment(exc)}", err=True)
            sys.exit(2)
        except Exception as exc:  # a bug, not bad input: one line, and the traceback on request
            if os.environ.get("SHEETNET_DEBUG"):
                raise
            _echo(f"sheetnet: internal error: {type(exc).__name__}: {exc} "
                       f"(please report it; SHEETNET_DEBUG=1 shows the traceback)", err=True)
            sys.exit(3)

    return wrapper


def _int_list(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        values = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise SheetnetError(f"--hidden takes widths separated by commas (e.g. 4 or 8,4), got {text!r}") from None
    if not values:
        raise SheetnetError("--hidden needs at least one width")
    return values


# Options of `new` and `regenerate`: (flag, config section, config key, type, help). Each overrides the key.
KEY_OPTIONS = (
    ("--activation", "network", "activation", str, f"hidden activation: {', '.join(choices.HIDDEN_ACTIVATIONS)}"),
    ("--output", "network", "output", str, f"output activation: {', '.join(choices.OUTPUT_ACTIVATIONS)}"),
    ("--loss", "network", "loss", str, f"loss: {', '.join(choices.LOSSES)}"),
    ("--optimizer", "training", "optimizer", str, f"optimizer: {', '.join(choices.OPTIMIZERS)}"),
    ("--steps", "training", "steps", int, "unrolled training steps (training.steps)"),
    ("--lr", "training", "learning_rate", float, "learning rate (training.learning_rate)"),
    ("--schedule", "training", "schedule", str, f"learning-rate schedule: {', '.join(choices.SCHEDULES)}"),
    ("--clip-norm", "training", "clip_norm", float, "clip gradients to this total norm, 0 = off (training.clip_norm)"),
    ("--batch-size", "training", "batch_size", int, "samples per mini-batch, 0 = all (training.batch_size)"),
    ("--l2", "training", "l2", float, "L2 penalty on the weights (training.l2)"),
    ("--l1", "training", "l1", float, "L1 penalty on the weights (training.l1)"),
    ("--dropout", "training", "dropout", float, "hidden-layer dropout rate (training.dropout)"),
    ("--seed", "init", "seed", int, "seed for the initial weights, batches and data (init.seed)"),
    ("--n", "data", "n", int, "samples of a generated dataset (data.n)"),
    ("--noise", "data", "noise", float, "noise of a generated dataset (data.noise)"),
    ("--test-fraction", "data", "test_fraction", float, "share of samples held out to test (data.test_fraction)"),
    ("--conv-filters", "network", "conv_filters", int, "convolution kernels before the dense layers, 0 = none "
     "(network.conv_filters)"),
    ("--conv-kernel", "network", "conv_kernel", int, "each kernel's side, e.g. 3 for 3x3 (network.conv_kernel)"),
    ("--pool", "network", "pool", int, "max pooling window and stride after the convolution, 1 = none (network.pool)"),
    ("--features", "data", "features", str, "what a 2-input network is fed, e.g. x1,x2,x1^2,x2^2 (data.features)"),
)


def _parameter(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def network_options(func):
    """Options shared by `new` and `regenerate`: each overrides the config key of the same meaning."""
    options = [click.option("--hidden", help="hidden layer widths, e.g. 4 or 8,4 (network.sizes)")]
    options += [click.option(flag, _parameter(flag), type=kind, help=text) for flag, _, _, kind, text in KEY_OPTIONS]
    options.append(click.option("--batch-norm", "batch_norm", is_flag=True, default=None,
                                help="batch-normalise every hidden layer (network.batch_norm)"))
    options.append(click.option("-f", "--force", is_flag=True, help="overwrite an existing output file"))
    for option in reversed(options):
        func = option(func)
    return func


def _overrides(hidden=None, batch_norm=None, **values) -> dict[str, dict]:
    sections: dict[str, dict] = {}
    if batch_norm:
        sections.setdefault("network", {})["batch_norm"] = True
    if hidden is not None:
        sections.setdefault("network", {})["hidden"] = _int_list(hidden)
    for flag, section, key, _, _ in KEY_OPTIONS:
        value = values.get(_parameter(flag))
        if value is not None:
            if key == "features":
                value = [name.strip() for name in value.split(",") if name.strip()]
            sections.setdefault(section, {})[key] = value
    return sections


def _data_override(dataset: str | None, data: str | None) -> dict:
    if dataset and data:
        raise SheetnetError("give the dataset either as an argument or with --data, not both")
    source = dataset or data
    if source is None:
        return {}
    if source in config.BUILTIN_DATASETS:
        return {"builtin": source}
    if source.lower().endswith(".csv") or Path(source).exists():
        return {"csv": str(Path(source).resolve())}
    raise SheetnetError(
        f"unknown dataset {source!r}: name a built-in one ({', '.join(config.BUILTIN_DATASETS)}) "
        f"or a .csv file"
    )


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt


class _Commands(click.Group):
    """Usage errors (an unknown option, a missing argument) are one line and exit status 2, like all bad input."""

    def main(self, *args, **kwargs):
        kwargs.pop("standalone_mode", None)
        if threading.current_thread() is threading.main_thread():  # SIGTERM cleans up as Ctrl-C does
            signal.signal(signal.SIGTERM, _terminated)
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as done:  # --help, --version
            sys.exit(done.exit_code)
        except click.UsageError as exc:
            where = f"sheetnet {exc.ctx.info_name}: " if exc.ctx is not None and exc.ctx.parent else "sheetnet: "
            _echo(f"{where}error: {exc.format_message()} (see --help)", err=True)
            sys.exit(2)
        except click.Abort:
            _echo("sheetnet: interrupted; no file was changed", err=True)
            sys.exit(130)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sheetnet")
def main() -> None:
    """Neural networks that train themselves in live spreadsheet formulas, cross-checked with numpy."""


@main.command(help=f"Generate a workbook. DATASET is a built-in dataset ({', '.join(config.BUILTIN_DATASETS)}: see "
                   f"`sheetnet datasets`) or a CSV file.")
@click.argument("dataset", required=False)
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False), help="the .xlsx to write")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="a network config (TOML)")
@click.option("--data", help="a built-in dataset name or a CSV file (last column(s) are targets)")
@click.option("--example", help="start from an example's config (see `sheetnet examples --list`)")
@network_options
@_user_errors
def new(dataset, out, config_path, data, example, force, **options) -> None:
    """Generate a workbook (its help, listing the datasets, is given above)."""
    overrides = _overrides(**options)
    data_override = _data_override(dataset, data)
    if data_override:
        overrides.setdefault("data", {}).update(data_override)
    cfg = config.load(examples.chosen_config(example, config_path), overrides)
    if Path(out).suffix.lower() != ".xlsx":
        raise SheetnetError(f"{out}: the output must be an .xlsx file")
    from sheetnet.files import check_writable

    check_writable(Path(out), force)
    problem, size, warnings = api.prepare(cfg)
    _echo(f"{out}: {size.summary()}")
    for warning in warnings:
        _echo(f"sheetnet: warning: {warning}", err=True)
    started = time.perf_counter()
    with progress.bar("writing", size.formula_cells) as update:
        count = api.write(problem, out, force=force, progress=update)
    _echo(f"wrote {out}: {count:,} formula cells in {time.perf_counter() - started:.1f} s")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--engine", type=click.Choice(ENGINES), default="fast",
              show_default=True, help="what evaluates the formulas")
@_user_errors
def check(path, engine) -> None:
    """Evaluate every formula in PATH and compare it with the numpy reference."""
    started = time.perf_counter()
    if engine == "libreoffice":
        with progress.spinner("recalculating in LibreOffice"):
            report = api.check(path, engine)
    else:
        report = api.check(path, engine, progress=progress.phase_callback("checking"))
    _echo(report.verdict() + f" [{time.perf_counter() - started:.1f} s]")
    for line in report.details():
        _echo(line)
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False),
              help="where to write (default: over PATH, which needs --force)")
@network_options
@_user_errors
def regenerate(path, out, force, **options) -> None:
    """Rebuild PATH keeping its data, initial parameters and hyper-parameters (your edits)."""
    from sheetnet.api import regenerate as regen

    target = Path(out or path)
    if out is None and target.exists() and not force:
        raise SheetnetError(f"{path}: regenerate writes a new workbook: pass -o NEW.xlsx to keep this one, "
                            f"or --force to replace it")
    started = time.perf_counter()
    count, kept = regen.regenerate(Path(path), target, _overrides(**options), force=force)
    _echo(f"wrote {target}: {count:,} formula cells in {time.perf_counter() - started:.1f} s; kept {kept}")


@main.command(name="continue")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False), required=True, help="the new .xlsx to write")
@click.option("--steps", type=int, default=None, help="steps of the new workbook (default: as many as PATH's)")
@click.option("--force", is_flag=True, help="overwrite OUT if it exists")
@_user_errors
def continue_(path, out, steps, force) -> None:
    """Go on training in a new workbook: from PATH's final parameters, optimizer state and next mini-batch."""
    from sheetnet.api import continuation

    started = time.perf_counter()
    count, where = continuation.continue_training(Path(path), Path(out), steps, force=force)
    _echo(f"wrote {out}: {count:,} formula cells in {time.perf_counter() - started:.1f} s; {where}")


@main.command()
def datasets() -> None:
    """List the built-in datasets (use one with `sheetnet new NAME` or [data] builtin = "NAME")."""
    from sheetnet.model.datasets import BUILTIN_DESCRIPTIONS

    for name, text in BUILTIN_DESCRIPTIONS.items():
        _echo(f"{name:8} {text}")
    _echo("csv      your own file: --data points.csv; one row per sample, the last column(s) are targets,"
               " an optional header row names the columns")


@main.command(name="predict", context_settings={"ignore_unknown_options": True})
@click.argument("path", type=click.Path(dir_okay=False))
@click.argument("inputs", nargs=-1, required=True)
@click.option("--engine", type=click.Choice(ENGINES), default="fast",
              show_default=True, help="what computes the final parameters from the workbook")
@_user_errors
def predict_command(path, inputs, engine) -> None:
    """Run the workbook's trained network (its final parameters) on INPUTS, e.g. `predict exam.xlsx 3 7`."""
    from sheetnet.api import use

    try:
        values = [float(text) for text in inputs]
    except ValueError:
        raise SheetnetError(f"inputs must be numbers, got {' '.join(inputs)}") from None
    if not all(math.isfinite(value) for value in values):
        raise SheetnetError(f"inputs must be finite numbers, got {' '.join(inputs)}")
    problem, weights, biases = use.final_parameters(path, engine)
    outputs = use.predict(problem, weights, biases, [values])[0]
    names = problem.structure.target_names
    _echo("  ".join(f"{name} = {value:.6g}" for name, value in zip(names, outputs, strict=True)))
    if problem.structure.classification:
        label = int(outputs.argmax()) if len(outputs) > 1 else int(outputs[0] > 0.5)
        _echo(f"predicted class: {label}")


@main.command(name="export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False), help="the .json to write")
@click.option("--engine", type=click.Choice(ENGINES), default="fast",
              show_default=True)
@click.option("-f", "--force", is_flag=True, help="overwrite an existing output file")
@_user_errors
def export_command(path, out, engine, force) -> None:
    """Write the workbook's final parameters and its network description as JSON."""
    from sheetnet.api import use

    use.write_export(path, out, force, engine)
    _echo(f"wrote {out}")


@main.command(name="examples")
@click.option("--dir", "folder", default="workbooks", show_default=True, type=click.Path(file_okay=False))
@click.option("--engine", type=click.Choice([e for e in ENGINES if e != "saved"]), default="fast", show_default=True)
@click.option("--no-check", is_flag=True, help="only regenerate")
@click.option("-f", "--force", is_flag=True, help="replace example workbooks already in DIR")
@click.option("--list", "listing", is_flag=True, help="list the examples (name and one line each) and stop")
@_user_errors
def examples_command(folder, engine, no_check, force, listing) -> None:
    """Regenerate every example workbook into DIR and check each one (one of them: `sheetnet new --example
    NAME -o OUT.xlsx`)."""
    if listing:
        for line in examples.listing():
            _echo(line)
        return
    failed = examples.regenerate_and_check(Path(folder), engine=engine, check=not no_check, echo=_echo,
                                           force=force)
    if failed:
        sys.exit(1)
