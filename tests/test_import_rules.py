"""The benchmarks and the tests share one harness, `tests/support/`, and no import loop.

The benches (scripts/bench_parts) once imported `tests.journald` and `tests.e2e.harness`
while the tests ran the benches: each tree reached into the other. Now the benches may
import `tests.support` and nothing else of the tests; `tests.support` imports neither the
rest of the tests nor a bench; and only the benches' own tests (`test_bench*.py`) load a
bench. `kiosk/`'s layers are checked by `lint-imports` (pyproject.toml), which reads only
the `kiosk` package: these three rules are the part it cannot see.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_PARTS = sorted((ROOT / "scripts" / "bench_parts").glob("*.py"))
BENCH_NAMES = {p.stem for p in BENCH_PARTS}


def imported(path: Path) -> set[str]:
    """Every module `path` imports by absolute name, wherever the import statement is."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def names_the_benches(path: Path) -> bool:
    """Whether code in `path` (not a docstring or a comment) names scripts/bench_parts."""
    tree = ast.parse(path.read_text(), str(path))
    prose = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return any(isinstance(node, ast.Constant) and isinstance(node.value, str)
               and "bench_parts" in node.value and id(node) not in prose
               for node in ast.walk(tree))


def is_support(module: str) -> bool:
    return module == "tests.support" or module.startswith("tests.support.")


def test_the_benches_import_only_the_shared_support_from_the_tests() -> None:
    assert BENCH_PARTS, "no benchmark found under scripts/bench_parts"
    wrong = {f"{p.name}: {m}" for p in BENCH_PARTS for m in imported(p)
             if m.split(".")[0] == "tests" and not is_support(m)}
    assert not wrong, wrong


def test_the_support_imports_nothing_else_of_the_tests_or_the_benches() -> None:
    support = sorted((ROOT / "tests" / "support").glob("*.py"))
    assert support
    wrong = {f"{p.name}: {m}" for p in support for m in imported(p)
             if (m.split(".")[0] == "tests" and not is_support(m))
             or m.split(".")[0] in BENCH_NAMES | {"scripts"}}
    assert not wrong, wrong


# Copies a bench into the QEMU guest to measure there (the credits window), and never
# imports one on the host.
SHIPS_A_BENCH = {"tests/system/test_system.py"}


def test_only_the_benches_own_tests_load_a_bench() -> None:
    here = Path(__file__).resolve()  # names the benches to read them, never loads one
    loaders = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("*.py")
               if p != here and (names_the_benches(p) or imported(p) & BENCH_NAMES)}
    assert loaders, "the benches' own tests no longer load a bench: is this rule still needed?"
    wrong = {name for name in loaders if not Path(name).name.startswith("test_bench")
             and (name not in SHIPS_A_BENCH or imported(ROOT / name) & BENCH_NAMES)}
    assert not wrong, wrong
