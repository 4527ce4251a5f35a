"""The house by feature: bot/ shows its parts at a glance, and each part keeps its inside to
itself. Each package's `__init__.py` names in `__all__` what the rest may use (its public
modules, or the names it re-exports); nothing in bot/ or bench/ outside a package imports any
other of its modules. The tests of a package (tests/<package>/) may reach its internals."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"
MAX_TOP_LEVEL = 12
MAX_INIT_LINES = 80
MAX_MODULE_LINES = 400


def _packages() -> list[Path]:
    return sorted(p.parent for p in BOT.rglob("__init__.py"))


def _public(package: Path) -> set[str]:
    tree = ast.parse((package / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, list), package
            return set(value)
    raise AssertionError(f"{package.relative_to(ROOT)}/__init__.py has no __all__")


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every absolute import of bot.*; `from a import b` gives a.b."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.startswith("bot.")]


def _private_imports(path: Path) -> list[str]:
    offenders = []
    for line, name in _imports(path):
        parts = name.split(".")
        for depth in range(2, len(parts)):
            package = ROOT.joinpath(*parts[:depth])
            if not (package / "__init__.py").exists():
                break
            if path.is_relative_to(package):
                continue  # inside the package: its own modules are its business
            if parts[depth] not in _public(package):
                offenders.append(f"{path}:{line} {name}")
            break
    return offenders


def test_bot_top_level_shows_a_few_parts() -> None:
    entries = [p.name for p in BOT.iterdir() if p.name != "__pycache__"]
    assert len(entries) <= MAX_TOP_LEVEL, sorted(entries)
    assert all(
        p.suffix == ".py" or (p / "__init__.py").exists()
        for p in BOT.iterdir()
        if p.name != "__pycache__"
    )


def test_no_module_over_400_lines() -> None:
    """Small modules with one job each: a longer one is split at its seam."""
    long = {
        str(p.relative_to(ROOT)): n
        for p in BOT.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_every_package_names_its_public_face_in_a_short_init() -> None:
    for package in _packages():
        if package == BOT:
            continue
        init = package / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init} says what the package is"
        assert len(init.read_text().splitlines()) <= MAX_INIT_LINES, init
        public = _public(package)
        modules = {p.stem for p in package.glob("*.py")} | {
            p.name for p in package.iterdir() if (p / "__init__.py").exists()
        }
        tree = ast.parse(init.read_text())
        defined = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom | ast.Import)
            for alias in node.names
        } | {n.name for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}
        defined |= {
            t.id
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        unknown = public - modules - defined
        assert not unknown, f"{package.relative_to(ROOT)} lists what it does not have: {unknown}"


def test_nothing_outside_a_package_imports_its_private_modules() -> None:
    offenders = []
    for base in (BOT, ROOT / "bench"):
        for path in sorted(base.rglob("*.py")):
            offenders += _private_imports(path)
    assert offenders == []


def test_the_private_module_check_finds_a_private_import(tmp_path: Path) -> None:
    """The rule above can fail: a module outside the package importing its private module is
    named; its public modules and re-exported names pass."""
    assert "analysis" not in _public(BOT / "understanding")
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from bot.understanding.analysis import Analyzer\n"
        "from bot.understanding import text\n"
        "from bot.storage import Store\n"
        "import bot.storage.db\n"
    )
    assert [o.split(" ")[1] for o in _private_imports(probe)] == [
        "bot.understanding.analysis.Analyzer",
        "bot.storage.db",
    ]
