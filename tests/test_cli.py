"""The command line: the issue's commands work; bad input gets one line and exit status 2."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetnet.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_new_with_the_issue_options_then_check(tmp_path):
    out = tmp_path / "xor.xlsx"
    result = run("new", "xor", "-o", out, "--hidden", "3", "--steps", "2", "--lr", "0.1", "--seed", "0")
    assert result.exit_code == 0, result.output
    assert "formula cells" in result.output
    result = run("check", out)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK")


def test_new_from_a_config_file_with_cli_override(tmp_path):
    cfg = tmp_path / "net.toml"
    cfg.write_text('[network]\nsizes = [2, 5, 1]\n[training]\nsteps = 7\nlearning_rate = 0.05\n')
    out = tmp_path / "net.xlsx"
    result = run("new", "--config", cfg, "-o", out, "--steps", "1")
    assert result.exit_code == 0, result.output
    from sheetnet.verify.readback import read_problem

    problem = read_problem(out)
    assert problem.structure.sizes == (2, 5, 1)
    assert problem.structure.steps == 1
    assert problem.hyper["learning_rate"] == 0.05


def test_csv_data(tmp_path):
    csv = tmp_path / "points.csv"
    csv.write_text("a,b,c,label\n0,0,1,0\n1,0,0,1\n0,1,1,1\n")
    out = tmp_path / "p.xlsx"
    result = run("new", "--data", csv, "-o", out, "--steps", "1", "--hidden", "2")
    assert result.exit_code == 0, result.output
    from sheetnet.verify.readback import read_problem

    problem = read_problem(out)
    assert problem.structure.sizes == (3, 2, 1)
    assert problem.structure.input_names == ("a", "b", "c")
    assert problem.inputs.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 1]]
    assert run("check", out).exit_code == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["new", "xor", "-o", "{tmp}/a.xlsx", "--lr", "0"], "learning_rate must be > 0"),
        (["new", "xor", "-o", "{tmp}/a.xlsx", "--steps", "-1"], "steps must be 0 or more"),
        (["new", "xor", "-o", "{tmp}/a.xlsx", "--hidden", "0"], "at least 1"),
        (["new", "xor", "-o", "{tmp}/a.xlsx", "--hidden", "x"], "--hidden"),
        (["new", "nosuch", "-o", "{tmp}/a.xlsx"], "unknown dataset"),
        (["new", "xor", "-o", "{tmp}/a.xlsx", "--activation", "relu6"], "did you mean 'relu'"),
        (["new", "--config", "{tmp}/missing.toml", "-o", "{tmp}/a.xlsx"], "not found"),
        (["new", "--config", "{tmp}/typo.toml", "-o", "{tmp}/a.xlsx"], "did you mean 'learning_rate'"),
        (["new", "--data", "{tmp}/missing.csv", "-o", "{tmp}/a.xlsx"], "not found"),
        (["new", "xor", "-o", "{tmp}/existing.xlsx"], "already exists; use --force"),
        (["check", "{tmp}/missing.xlsx"], "file not found"),
        (["check", "{tmp}/typo.toml"], "not an .xlsx workbook"),
        (["check", "{tmp}/existing.xlsx", "--engine", "saved"], "never opened and saved"),
        (["regenerate", "{tmp}/existing.xlsx"], "pass -o NEW.xlsx to keep this one, or --force"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    (tmp_path / "typo.toml").write_text("[training]\nlearning_rat = 0.1\n")
    assert run("new", "xor", "-o", tmp_path / "existing.xlsx", "--steps", "1").exit_code == 0
    before = (tmp_path / "existing.xlsx").read_bytes()
    result = CliRunner().invoke(main, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (tmp_path / "existing.xlsx").read_bytes() == before  # nothing a user made is lost


def test_force_overwrites(tmp_path):
    out = tmp_path / "a.xlsx"
    assert run("new", "xor", "-o", out, "--steps", "1").exit_code == 0
    assert run("new", "xor", "-o", out, "--steps", "2", "--force").exit_code == 0
    assert not list(Path(tmp_path).glob(".*.tmp"))  # the atomic write left no temporary file


def test_python_dash_m_works():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "sheetnet", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "check" in result.stdout


def test_csv_class_index_column_for_cross_entropy(tmp_path):
    """A last column of class indices becomes one-hot targets (as many classes as softmax outputs)."""
    csv = tmp_path / "classes.csv"
    csv.write_text("x1,x2,class\n0,0,0\n1,0,1\n0,1,2\n1,1,1\n")
    cfg = tmp_path / "net.toml"
    cfg.write_text('[network]\nsizes = [2, 3, 4]\noutput = "softmax"\nloss = "cross_entropy"\n'
                   '[data]\ncsv = "classes.csv"\n[training]\nsteps = 1\n')
    out = tmp_path / "net.xlsx"
    assert run("new", "--config", cfg, "-o", out).exit_code == 0
    from sheetnet.verify.readback import read_problem

    problem = read_problem(out)
    assert problem.targets.tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]]
    assert run("check", out).exit_code == 0
    csv.write_text("x1,x2,class\n0,0,0.5\n")
    result = run("new", "--config", cfg, "-o", tmp_path / "bad.xlsx")
    assert result.exit_code == 2 and "class" in result.output


def test_a_quick_check_draws_no_bar_and_imports_no_tqdm():
    """Small workbooks start fast: the progress bar's library is imported only for a phase that runs long."""
    import subprocess
    import sys

    from .conftest import REPO

    code = ("import sys; from sheetnet.cli import main\n"
            "try: main(['check', sys.argv[1]])\n"
            "except SystemExit as exit: print('exit', exit.code)\n"
            "print('tqdm' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(REPO / "workbooks" / "exam-example.xlsx")],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("OK") and done.stdout.splitlines()[-1] == "False", done.stdout + done.stderr


def test_a_long_phase_gets_its_bar_after_the_delay(monkeypatch):
    from sheetnet import progress

    made = []
    clock = [100.0]
    monkeypatch.setattr(progress.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(progress, "tqdm", lambda **kwargs: made.append(kwargs) or _Bar())
    callback = progress.phase_callback("checking")
    callback("evaluating", 10, 1000)
    assert made == []
    clock[0] += progress.SHOW_AFTER_SECONDS
    callback("evaluating", 500, 1000)
    assert len(made) == 1 and made[0]["total"] == 1000
    callback("evaluating", 1000, 1000)
    callback("comparing", 1000, 1000)
    assert len(made) == 1


class _Bar:
    n = 0

    def update(self, step):
        self.n += step

    def close(self):
        pass
