"""The command line: exit codes, one-line errors, files written atomically."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import cli


def run(args, capsys):
    code = cli.run(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_derive_to_stdout(capsys):
    code, out, err = run(["derive", "univariate"], capsys)
    assert code == 0 and err == ""
    assert out.startswith("# KL divergence between two univariate Gaussians")


def test_derive_latex_to_a_file(tmp_path, capsys):
    target = tmp_path / "kl.tex"
    code, out, _ = run(["derive", "univariate", "--format", "latex", "-o", str(target)], capsys)
    assert code == 0 and out == ""
    assert target.read_text().startswith(r"\documentclass")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind


def test_list_and_version(capsys):
    code, out, _ = run(["list"], capsys)
    assert code == 0 and "univariate" in out and "standard" in out
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and "0.1.0" in out


@pytest.mark.parametrize("args", [
    ["derive", "nonsense"],
    ["derive", "univariate", "--format", "docx"],
    ["derive", "univariate", "--bogus"],
    ["derive"],
    ["frobnicate"],
    ["derive", "diagonal", "--dim", "0"],
    ["derive", "diagonal", "--dim", "-3"],
    ["derive", "diagonal", "--dim", "abc"],
    ["derive", "diagonal", "--route", "nonsense"],
    ["derive", "diagonal", "--dim", "3", "--route", "nonsense"],
    ["derive", "full", "--dim", "3"],
    ["derive", "diagonal", "--dim"],
])
def test_bad_input_is_one_line_and_exit_2(args, capsys):
    code, out, err = run(args, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("kl-derive: error:")
    assert "Traceback" not in err


def test_unwritable_output_leaves_existing_file_untouched(tmp_path, capsys):
    code, _, err = run(["derive", "univariate", "-o", str(tmp_path / "missing" / "kl.md")], capsys)
    assert code == 2 and "cannot write" in err
    existing = tmp_path / "kl.md"
    existing.write_text("keep me")
    code, _, err = run(["derive", "nonsense", "-o", str(existing)], capsys)
    assert code == 2 and existing.read_text() == "keep me"


def test_read_only_directory(tmp_path, capsys):
    """As root, permission bits do not stop writes: /proc is a directory nobody can create files in."""
    if os.geteuid() == 0:
        directory = "/proc"
    else:
        directory = str(tmp_path)
        tmp_path.chmod(0o500)
    try:
        code, _, err = run(["derive", "univariate", "-o", os.path.join(directory, "kl.md")], capsys)
    finally:
        tmp_path.chmod(0o700)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot write" in err


def test_special_files_are_written_in_place(capsys):
    code, _, _ = run(["derive", "univariate", "-o", os.devnull], capsys)
    assert code == 0 and os.path.exists(os.devnull)


def test_help_on_every_command(capsys):
    for args in (["--help"], ["derive", "--help"], ["list", "--help"]):
        code, out, _ = run(args, capsys)
        assert code == 0 and "Usage:" in out


def test_installed_console_script(tmp_path):
    script = shutil.which("kl-derive")
    if script is None:
        pytest.fail("the kl-derive console script is not installed (pip install .)")
    done = subprocess.run([script, "derive", "standard", "-o", str(tmp_path / "s.md")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "VAE" in (tmp_path / "s.md").read_text()
    bad = subprocess.run([script, "derive", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_checkout_entry_point(tmp_path):
    done = subprocess.run([sys.executable, cli.__file__, "list"], capture_output=True, text=True)
    assert done.returncode == 0 and "univariate" in done.stdout


def test_tests_run_the_installed_package():
    """In CI the suite must exercise what ``pip install .`` installed, not the checkout."""
    import derivation

    if os.environ.get("KL_DERIVE_REQUIRE_TOOLS") == "1":
        assert "site-packages" in derivation.__file__, derivation.__file__
        assert "site-packages" in cli.__file__, cli.__file__


@pytest.mark.parametrize("args", [["--dim", "0"], ["--dim", "-3"], ["--dim", "abc"], ["--route", "nonsense"]])
def test_bad_dimension_or_route_writes_nothing(args, tmp_path, capsys):
    target = tmp_path / "new.md"
    code, out, err = run(["derive", "diagonal", *args, "-o", str(target)], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert not target.exists() and list(tmp_path.iterdir()) == []
    existing = tmp_path / "kept.md"
    existing.write_text("keep me")
    code, _, _ = run(["derive", "diagonal", *args, "-o", str(existing)], capsys)
    assert code == 2 and existing.read_text() == "keep me"


def test_dimension_and_route_options(tmp_path, capsys):
    target = tmp_path / "d.md"
    code, out, err = run(["derive", "diagonal", "--dim", "8", "--route", "kingma", "-o", str(target)], capsys)
    assert code == 0 and out == "" and err == ""
    text = target.read_text()
    assert r"\sigma_{8}" in text and r"\cdots" in text and r"\sum_{j" not in text
    code, out, _ = run(["derive", "diagonal", "--route", "full"], capsys)
    assert code == 0 and "Specialise the result for two Gaussians with full covariance" in out
    code, out, _ = run(["list"], capsys)
    assert all(name in out for name in ("full", "diagonal", "vae"))


def test_a_reader_that_leaves_early_stops_the_command_quietly():
    """`kl-derive derive ... | head -1`: the pipe closes before the document is written; no traceback, exit 141."""
    command = [sys.executable, cli.__file__, "derive", "diagonal", "--dim", "300", "--format", "markdown"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first byte
    error = process.stderr.read()
    assert process.wait() == 141
    assert error == b""


def test_the_script_loads_without_the_cyclic_collector_and_turns_it_back_on():
    """As the program, cli.py loads the package with the cyclic collector off (a tenth of the start-up) and
    :func:`cli.run` turns it back on; imported by other code (these tests) it leaves the collector alone."""
    import gc

    assert gc.isenabled()
    program = ("import gc, sys; sys.argv = ['kl-derive', 'list']; import cli; loading = gc.isenabled(); "
               "code = cli.run(); print(loading, gc.isenabled(), code)")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.abspath(cli.__file__)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-3:] == ["False", "True", "0"]
