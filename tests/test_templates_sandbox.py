"""User templates (issue 10, items 1 and 2): rendered in Jinja's sandbox, every failure one line naming the
template file and line, exit 2; the README's example template works in every format."""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import cli
from derivation import FORMATS, derive
from derivation.core.errors import DerivationError
from derivation.output.render import Renderer

README = Path(__file__).resolve().parent.parent / "README.md"


def run(args, capsys):
    code = cli.run(args)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_exit_2(code: int, out: str, err: str) -> str:
    assert code == 2, err
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("kl-derive: error:"), err
    assert "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize("payload", [
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{{ lipsum.__globals__.os.popen('touch MARKER').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}{{ joiner.__init__.__globals__.os.system('touch MARKER') }}",
    '{{ "".__class__.__mro__ }}{{ cycler.__init__.__globals__.os.popen("touch MARKER").read() }}',
])
def test_template_payloads_run_nothing(payload, tmp_path, capsys):
    marker = tmp_path / "x"
    template = tmp_path / "evil.j2"
    template.write_text("A title: {{ title }}\n" + payload.replace("MARKER", str(marker)) + "\n")
    out = tmp_path / "out.md"
    code, stdout, err = run(["derive", "univariate", "--template", str(template), "-o", str(out)], capsys)
    line = one_line_exit_2(code, stdout, err)
    assert f"{template} line 2" in line and "not allowed in a template" in line and "unsafe" in line
    assert not marker.exists() and not out.exists()


def test_the_issues_exact_payload(tmp_path, capsys):
    """``{{ cycler.__init__.__globals__.os.popen('touch /tmp/x').read() }}``: /tmp/x is not created."""
    Path("/tmp/x").unlink(missing_ok=True)
    template = tmp_path / "t.j2"
    template.write_text("{{ cycler.__init__.__globals__.os.popen('touch /tmp/x').read() }}\n")
    line = one_line_exit_2(*run(["derive", "univariate", "--template", str(template)], capsys))
    assert line == (f"kl-derive: error: template error in {template} line 1: not allowed in a template: "
                    "access to attribute '__init__' of 'type' object is unsafe.")
    assert not Path("/tmp/x").exists()


@pytest.mark.parametrize(("source", "line", "message"), [
    ("{{ 1/0 }}\n", 1, "ZeroDivisionError: division by zero"),
    ("x\n\n{{ title + 1 }}\n", 3, 'TypeError: can only concatenate str (not "int") to str'),
    ("{% macro f() %}{{ f() }}{% endmacro %}\n\n{{ f() }}\n", 1, "recursion too deep"),
    ("ok\n{% for s in steps %}\n", 2, "syntax error"),
    ("{{ title }}\n{{ title | nosuchfilter }}\n", 2, "syntax error"),
    ("a\nb\n{{ nosuch }}\n", 3, "'nosuch' is undefined"),
    ("{{ 'x' * 10**12 }}\n", 1, "longer than the sandbox's limit"),
    ("{{ 2 ** 100000 }}\n", 1, "above the sandbox's limit"),
    ("{{ 'x' * 100000000 }}\n", 1, "longer than the sandbox's limit"),
    ("{{ range(10**9) | list }}\n", 1, "Range too big"),
    ("{% set _ = steps.append(1) %}\n", 1, "not allowed in a template"),
])
def test_template_errors_name_the_file_and_line(source, line, message, tmp_path, capsys):
    template = tmp_path / "bad.j2"
    template.write_text(source)
    text = one_line_exit_2(*run(["derive", "univariate", "--template", str(template)], capsys))
    assert f"{template} line {line}" in text and message in text


def test_a_template_that_is_not_utf8(tmp_path, capsys):
    template = tmp_path / "latin1.j2"
    template.write_bytes("{{ title }}\nr\xe9sultat: {{ result }}\n".encode("latin-1"))
    text = one_line_exit_2(*run(["derive", "univariate", "--template", str(template)], capsys))
    assert text == f"kl-derive: error: template {template} line 2 is not UTF-8 text (byte 0xe9); save it as UTF-8"


def test_a_missing_template(tmp_path, capsys):
    text = one_line_exit_2(*run(["derive", "univariate", "--template", str(tmp_path / "none.j2")], capsys))
    assert "none.j2" in text


def _readme_template() -> str:
    text = README.read_text()
    match = re.search(r"### Your own template.*?```jinja\n(.*?)```", text, re.S)
    assert match, "the README shows an example template"
    return match.group(1)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_readme_example_template_works_in_every_format(fmt, tmp_path, capsys, univariate):
    template = tmp_path / "example.j2"
    template.write_text(_readme_template())
    code, out, err = run(["derive", "univariate", "-f", fmt, "--template", str(template)], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == univariate.title
    assert [line.split(".")[0] for line in lines[1:] if line[:1].isdigit()] == [
        str(i + 1) for i in range(len(univariate.steps))]
    assert "{{" not in out and "{%" not in out
    assert "Result: $" in out


def test_code_formats_give_the_document_context_and_the_function(tmp_path, capsys):
    template = tmp_path / "code.j2"
    template.write_text("{{ steps | length }} steps; "
                        "def {{ code.name }}({{ code.arguments }}): return {{ code.body }}\n")
    code, out, _ = run(["derive", "univariate", "-f", "python", "--template", str(template)], capsys)
    assert code == 0
    assert re.fullmatch(r"\d+ steps; def \w+\([\w, ]+\): return .+\n", out)


def test_latex_templates_keep_the_tex_safe_delimiters(tmp_path, capsys):
    template = tmp_path / "t.tex.j2"
    template.write_text(r"\section{((( title | tex )))} {{braces}} ((* for s in steps *))((( s.number )))((* endfor *))"
                        "\n")
    code, out, _ = run(["derive", "univariate", "-f", "latex", "--template", str(template)], capsys)
    assert code == 0
    assert out.startswith(r"\section{KL divergence") and "{{braces}}" in out


# --- the property: random templates from the context's names and Jinja syntax never leave the sandbox ----------

_FORBIDDEN_EVENTS = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.kill", "os.remove",
                     "os.rename", "os.mkdir", "os.rmdir", "os.chmod", "os.chown", "os.truncate", "os.link",
                     "os.symlink", "subprocess.Popen", "socket.", "ctypes.", "shutil.", "object.__getattr__",
                     "object.__setattr__", "object.__delattr__", "builtins.input", "pty.spawn")
_audit = {"watching": False, "seen": []}


def _from_a_template(frame) -> bool:
    """Whether the audited access was made by template code or by Jinja on its behalf (the engine, printing a
    formula the template asked for, may read a function's ``__code__``; Jinja, rewriting an error's traceback so
    that it names the template's lines, reads frames: neither is the template's doing)."""
    if frame is None or frame.f_code.co_filename.endswith("/jinja2/debug.py"):
        return False
    return "__jinja_template__" in frame.f_globals or "/jinja2/" in frame.f_code.co_filename


def _hook(event: str, args: tuple) -> None:
    if not _audit["watching"]:
        return
    if event.startswith("object.__"):
        _audit["watching"] = False  # sys._getframe is audited too
        try:
            if _from_a_template(sys._getframe(1)):
                _audit["seen"].append(f"{event} {args[1:]}")
        finally:
            _audit["watching"] = True
    elif event.startswith(_FORBIDDEN_EVENTS):
        _audit["seen"].append(event)
    elif event == "open" and args[1] is not None and any(c in str(args[1]) for c in "wax+"):
        _audit["seen"].append(f"open {args[0]} {args[1]}")


@functools.cache
def _install_hook() -> None:
    sys.addaudithook(_hook)  # cannot be removed: it only records while a test is watching


NAMES = ["title", "description", "case", "format", "version", "densities", "assumptions", "lhs", "steps", "result",
         "result_lines", "statement", "lemmas", "sections", "checks", "macros", "options", "brief",
         "cycler", "lipsum", "joiner", "namespace", "range", "dict", "loop", "self", "config", "request", "os"]
ATTRIBUTES = ["title", "latex", "lines", "number", "rule", "check", "ok", "steps", "items", "keys", "values",
              "upper", "format", "join", "append", "pop", "update", "clear", "__class__", "__mro__", "__init__",
              "__globals__", "__subclasses__", "__builtins__", "__dict__", "__code__", "mro", "os", "popen",
              "system", "gi_frame", "f_globals", "func_globals", "_items", "_pending", "__reduce__", "next",
              "reset", "current", "func", "__call__", "render", "environment", "module"]
FILTERS = ["length", "list", "join", "upper", "string", "first", "last", "tex", "frames", "attr('__class__')",
           "map(attribute='__class__')", "format('%s')", "int", "sum", "sort", "reverse", "pprint", "tojson",
           "selectattr('__class__')"]
LITERALS = ["1", "0", "-1", "10**2", "'__class__'", "'os'", "'touch /tmp/kl-derive-sandbox'", "()", "[]", "{}",
            "''", "'%s'", "'{0.__class__.__mro__}'", "'{0.__init__.__globals__}'"]


def _expressions() -> st.SearchStrategy[str]:
    atom = st.sampled_from(NAMES + LITERALS)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(ATTRIBUTES)).map(lambda t: f"{t[0]}.{t[1]}"),
            st.tuples(inner, st.sampled_from(LITERALS + NAMES)).map(lambda t: f"{t[0]}[{t[1]}]"),
            st.tuples(inner, st.lists(inner, max_size=2)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(inner, st.sampled_from(FILTERS)).map(lambda t: f"({t[0]} | {t[1]})"),
            st.tuples(inner, st.sampled_from(["+", "*", "~", "/", "%", "==", "and", "in"]), inner)
            .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        )

    return st.recursive(atom, extend, max_leaves=6)


def _statements(expr: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        expr.map(lambda e: "{{ " + e + " }}"),
        st.tuples(expr, expr).map(lambda t: "{% for x in " + t[0] + " %}{{ x." + "latex" + " }}{{ " + t[1]
                                  + " }}{% endfor %}"),
        st.tuples(expr, expr).map(lambda t: "{% if " + t[0] + " %}{{ " + t[1] + " }}{% endif %}"),
        expr.map(lambda e: "{% set v = " + e + " %}{{ v }}"),
        expr.map(lambda e: "{% macro m(a) %}{{ a." + "title }}{% endmacro %}{{ m(" + e + ") }}"),
        expr.map(lambda e: "{% with w = " + e + " %}{{ w }}{% endwith %}"),
    )


@functools.cache
def _derivation():
    return derive("univariate")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(body="{{ range.__code__ }}", fmt="markdown")  # found by this test: refused before the attribute is read
@example(body="{{ cycler['__init__'] }}", fmt="latex")
@given(body=st.lists(_statements(_expressions()), min_size=1, max_size=4).map("\n".join),
       fmt=st.sampled_from(["markdown", "latex", "text", "python"]))
def test_random_templates_never_leave_the_sandbox(body, fmt, tmp_path):
    _install_hook()
    marker = Path("/tmp/kl-derive-sandbox")
    marker.unlink(missing_ok=True)
    template = tmp_path / "random.j2"
    template.write_text(body + "\n")
    _audit["seen"].clear()
    _audit["watching"] = True
    try:
        Renderer().render(_derivation(), fmt, template=template)
    except DerivationError as error:  # refused: one line naming the template
        assert "\n" not in str(error) and str(template) in str(error)
    finally:
        _audit["watching"] = False
    assert _audit["seen"] == []
    assert not marker.exists()


@pytest.mark.parametrize("payload", ["{{ '{0.__class__.__mro__}'.format(title) }}",
                                     "{{ '{0.__init__.__globals__}'.format(cycler) }}",
                                     "{{ '{x.__class__}'.format_map(dict(x=title)) }}"])
def test_str_format_is_sandboxed_too(payload, tmp_path, capsys):
    template = tmp_path / "f.j2"
    template.write_text(payload + "\n")
    line = one_line_exit_2(*run(["derive", "univariate", "--template", str(template)], capsys))
    assert f"{template} line 1" in line and "unsafe" in line
