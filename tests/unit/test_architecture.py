"""The package structure's rules (issue 12; docs/architecture.md, "Layers").

The layer contract itself is import-linter's (`lint-imports`, run by `make lint`, part of
`make test`; the contract is in pyproject.toml). These tests add what import-linter cannot say:
no package imports another package's routes, and an import inside a function says why.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "beteiligung"
# Modules that compose the app: they import every feature's routes by design.
COMPOSITION = {"app", "features", "cli", "__main__"}
ROUTE_MODULES = {"routes", "admin"}

# Imports of another package's routes that the refactor has not removed yet. Only ever shrinks:
# the test fails when an entry no longer occurs, so the list stays true.
PENDING_ROUTE_IMPORTS: set[tuple[str, str]] = set()

# Function-level imports without a reason that have not been looked at yet (file: count).
PENDING_UNEXPLAINED: dict[str, int] = {}


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        found.append((".".join(parts), path))
    return found


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = ("beteiligung." + module).split(".")
        base = base if is_package else base[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base)
        target = f"{prefix}.{node.module}" if node.module else prefix
    else:
        target = node.module or ""
    # "from beteiligung.x import routes" imports the module beteiligung.x.routes
    return [target] + [f"{target}.{a.name}" for a in node.names]


def _route_imports() -> set[tuple[str, str]]:
    found = set()
    for module, path in _modules():
        package = module.split(".")[0]
        if package in COMPOSITION or module.endswith(".feature"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _imported(node, module, path.name == "__init__.py"):
                parts = target.split(".")
                if (
                    len(parts) == 3
                    and parts[0] == "beteiligung"
                    and parts[1] != package
                    and parts[2] in ROUTE_MODULES
                ):
                    found.add((module, f"{parts[1]}.{parts[2]}"))
    return found


def test_no_package_imports_another_packages_routes() -> None:
    found = _route_imports()
    new = found - PENDING_ROUTE_IMPORTS
    assert not new, f"a package imports another package's routes (move the shared code down): {sorted(new)}"
    gone = PENDING_ROUTE_IMPORTS - found
    assert not gone, f"remove these from PENDING_ROUTE_IMPORTS, they are fixed: {sorted(gone)}"


def _unexplained_function_imports() -> dict[str, int]:
    counts: dict[str, int] = {}
    for module, path in _modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                    continue
                line = lines[node.lineno - 1]
                above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                if "#" in line or above.startswith("#"):
                    continue
                key = str(path.relative_to(SRC))
                counts[key] = counts.get(key, 0) + 1
    return counts


def test_imports_inside_functions_say_why() -> None:
    """An import inside a function hides a dependency; where one is needed (an optional module,
    a heavy one loaded late, the composition root) a comment on or above it says why."""
    counts = _unexplained_function_imports()
    worse = {f: n for f, n in counts.items() if n > PENDING_UNEXPLAINED.get(f, 0)}
    assert not worse, f"imports inside functions without a comment saying why: {worse}"
    better = {f: n for f, n in PENDING_UNEXPLAINED.items() if counts.get(f, 0) < n}
    assert not better, f"lower these counts in PENDING_UNEXPLAINED to {{f: counts}}: {better}"


def test_import_contracts_hold() -> None:
    """The layers contract (pyproject.toml) holds: `lint-imports` is also in `make lint`; this
    runs it where only pytest is run."""
    exe = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(exe), "--no-cache"], capture_output=True, text=True, cwd=SRC.parents[1], check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
