"""Mutation testing: plant one plausible bug at a time and check that the test suite notices.

Each mutant replaces one snippet of the source (which must occur exactly once) and runs the tests
most likely to catch it (LibreOffice tests excluded, `-x`: the first failure kills the mutant), in a
copy of the repository so the working tree is never touched. The result, per module, goes to
docs/mutation.md.

    python scripts/mutants.py            # every mutant (about 40 minutes on 2 cores)
    python scripts/mutants.py --list     # check every snippet is still in the source, run nothing
    python scripts/mutants.py fast       # one group: writer, reference, fast or checker
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mutant_list import GROUP_TESTS, MUTANTS

REPO = Path(__file__).resolve().parent.parent


def _copy_repo(target: Path) -> None:
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".ruff_cache", ".hypothesis", "*.egg-info")
    shutil.copytree(REPO, target, ignore=ignore)


def _run(workdir: Path, tests: list[str]) -> tuple[bool, float]:
    """True when the tests fail (the mutant is killed)."""
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(workdir), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not libreoffice",
         "--no-header", *tests],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=1800,
    )
    return result.returncode != 0, time.perf_counter() - started


def _report(results: list[tuple], seconds: float) -> str:
    modules: dict[str, list] = {}
    for mutant, killed, _ in results:
        modules.setdefault(mutant[0], []).append((mutant, killed))
    lines = ["# Mutation testing", "",
             "`python scripts/mutants.py` plants each of the curated bugs in `scripts/mutant_list.py`, one at a time,",
             "and runs the tests most likely to catch it (LibreOffice tests excluded). A mutant is killed when a",
             "test fails.", "",
             f"Last run: {len(results)} mutants, {sum(k for _, k, _ in results)} killed, "
             f"{seconds / 60:.0f} minutes on this machine (2 cores).", "",
             "| module | mutants | killed | share |", "|---|---:|---:|---:|"]
    for module, items in sorted(modules.items()):
        killed = sum(k for _, k in items)
        lines.append(f"| `{module}` | {len(items)} | {killed} | {100 * killed / len(items):.0f}% |")
    survivors = [(m, k) for m, k, _ in results if not k]
    lines += ["", "## Survivors", ""]
    if not survivors:
        lines.append("None.")
    for mutant, _ in survivors:
        lines.append(f"- `{mutant[0]}`: {mutant[3]} (`{mutant[1]}` -> `{mutant[2]}`)")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help="writer, reference, fast, checker (default: all)")
    parser.add_argument("--list", action="store_true", help="only check that every snippet is in the source")
    parser.add_argument("--module", action="append", default=[],
                        help="only the mutants of modules whose path contains this (repeatable)")
    args = parser.parse_args()
    chosen = [m for m in MUTANTS if (not args.groups or m[4] in args.groups)
              and (not args.module or any(part in m[0] for part in args.module))]
    for module, original, _mutated, _why, _group in chosen:
        count = (REPO / module).read_text().count(original)
        if count != 1:
            print(f"{module}: snippet found {count} times: {original!r}", file=sys.stderr)
            return 2
    if args.list:
        print(f"{len(chosen)} mutants, every snippet found once")
        return 0
    results = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sheetnet-mutants-") as folder:
        work = Path(folder) / "repo"
        _copy_repo(work)
        for number, mutant in enumerate(chosen, start=1):
            module, original, mutated, why, group = mutant
            source = (work / module).read_text()
            (work / module).write_text(source.replace(original, mutated, 1))
            try:
                killed, seconds = _run(work, GROUP_TESTS[group])
            finally:
                (work / module).write_text(source)
            results.append((mutant, killed, seconds))
            print(f"[{number}/{len(chosen)}] {'killed ' if killed else 'SURVIVED'} {seconds:5.0f} s  {module}: {why}",
                  flush=True)
    text = _report(results, time.perf_counter() - started)
    if not args.groups and not args.module:  # the report stands for the whole list only
        (REPO / "docs" / "mutation.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
