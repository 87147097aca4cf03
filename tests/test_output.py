"""Where documents go (issue 10, item 3; issue 9, item 12): through symbolic links to their targets (the link
kept), to the stream for ``-`` and ``/dev/stdout``, never replacing a link or a device; empty names refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import cli
from derivation.core.errors import UsageError
from derivation.output.files import real_target, stream_descriptor, write_text

CLI = Path(__file__).resolve().parent.parent / "cli.py"
ROOT = CLI.parent


def run(args, capsys):
    code = cli.run(args)
    out, err = capsys.readouterr()
    return code, out, err


def hidden(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(".")]


def test_a_symlink_is_written_through_and_kept(tmp_path, capsys):
    target = tmp_path / "real.md"
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    code, _, err = run(["derive", "univariate", "-o", str(link)], capsys)
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("# KL divergence between two univariate Gaussians")
    assert hidden(tmp_path) == []


def test_a_link_into_another_directory_and_a_dangling_link(tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "kl.tex"
    link.symlink_to(elsewhere / "notes.tex")  # dangling: the target is created
    code, _, err = run(["derive", "univariate", "-f", "latex", "-o", str(link)], capsys)
    assert code == 0, err
    assert link.is_symlink() and (elsewhere / "notes.tex").read_text().startswith(r"\documentclass")
    assert hidden(tmp_path) == [] and hidden(elsewhere) == []


def test_a_chain_of_links_keeps_every_link(tmp_path):
    target = tmp_path / "t.md"
    target.write_text("old")
    (tmp_path / "a.md").symlink_to("b.md")
    (tmp_path / "b.md").symlink_to("t.md")
    write_text("new\n", tmp_path / "a.md")
    assert (tmp_path / "a.md").is_symlink() and (tmp_path / "b.md").is_symlink()
    assert target.read_text() == "new\n"


def test_figures_go_next_to_the_links_target(tmp_path, capsys):
    notes = tmp_path / "notes"
    notes.mkdir()
    link = tmp_path / "dyn.md"
    link.symlink_to(notes / "dynamics.md")
    code, _, err = run(["derive", "dynamics", "-o", str(link)], capsys)
    assert code == 0, err
    assert sorted(p.name for p in notes.iterdir()) == [
        "dynamics-field.png", "dynamics-map.png", "dynamics-terms.png", "dynamics.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dyn.md", "notes"]


@pytest.mark.parametrize("destination", ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_stdout_names_are_the_stream(destination, capsys):
    code, out, err = run(["derive", "univariate", "-o", destination], capsys)
    assert code == 0 and err == ""
    assert out.startswith("# KL divergence between two univariate Gaussians")


@pytest.mark.parametrize("destination", ["/dev/stdout", "-"])
def test_dev_stdout_redirected_to_a_file(destination, tmp_path):
    """``-o /dev/stdout > f.tex`` writes f.tex (the stream) and leaves /dev/stdout a link."""
    before = os.lstat("/dev/stdout")
    target = tmp_path / "f.tex"
    with open(target, "w") as stream:
        done = subprocess.run([sys.executable, str(CLI), "derive", "univariate", "-f", "latex", "-o", destination],
                              stdout=stream, stderr=subprocess.PIPE, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0 and done.stderr == ""
    assert target.read_text().startswith(r"\documentclass")
    after = os.lstat("/dev/stdout")
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)


def test_dev_stdout_appended_is_not_clobbered(tmp_path):
    target = tmp_path / "log.txt"
    target.write_text("first line\n")
    with open(target, "a") as stream:
        done = subprocess.run([sys.executable, str(CLI), "derive", "univariate", "-f", "text", "-o", "/dev/stdout"],
                              stdout=stream, stderr=subprocess.PIPE, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0
    text = target.read_text()
    assert text.startswith("first line\nKL divergence")


def test_another_descriptor(tmp_path):
    target = tmp_path / "three.md"
    with open(target, "w") as stream:
        done = subprocess.run([sys.executable, str(CLI), "derive", "univariate", "-o", f"/dev/fd/{stream.fileno()}"],
                              pass_fds=(stream.fileno(),), capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0 and done.stdout == ""
    assert target.read_text().startswith("# KL divergence")


def test_devices_and_links_are_never_replaced(tmp_path, capsys):
    link = tmp_path / "null.md"
    link.symlink_to(os.devnull)
    code, _, _ = run(["derive", "univariate", "-o", str(link)], capsys)
    assert code == 0 and link.is_symlink() and Path(os.devnull).is_char_device()
    assert real_target(link) is None and real_target(os.devnull) is None


def test_stream_names():
    assert [stream_descriptor(n) for n in ("-", "/dev/stdout", "/dev/stderr", "/dev/fd/7", "/proc/self/fd/1",
                                           "out.md", "/dev/null")] == [1, 1, 2, 7, 1, None, None]


@pytest.mark.parametrize("args", [["derive", "univariate", "-o", ""], ["build", "--out", ""],
                                  ["build", "--out", "  "]])
def test_empty_names_are_refused(args, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(args, capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and err.startswith("kl-derive: error:")
    assert "empty" in err and list(tmp_path.iterdir()) == []


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(UsageError, match="it is a directory"):
        write_text("x", tmp_path)


def test_build_writes_through_links_inside_its_directory(tmp_path, capsys):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (elsewhere / "keep.md").write_text("old")
    (out / "univariate.md").symlink_to(elsewhere / "keep.md")
    (out / "dynamics-map.png").symlink_to(elsewhere / "map.png")  # dangling: the figure is written there
    code, _, err = run(["build", "--out", str(out), "--cases", "univariate,dynamics", "--formats", "markdown"],
                       capsys)
    assert code == 0, err
    assert (out / "univariate.md").is_symlink() and (elsewhere / "keep.md").read_text().startswith("# KL")
    assert (out / "dynamics-map.png").is_symlink()
    assert (elsewhere / "map.png").read_bytes().startswith(b"\x89PNG")
    assert hidden(out) == [] and hidden(elsewhere) == []
