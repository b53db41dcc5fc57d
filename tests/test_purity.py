"""The domain stays pure: no web framework, database layer or sanitiser in deliberate/domain."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[1] / "deliberate" / "domain"
FORBIDDEN = {"flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "flask_babel", "sqlalchemy", "werkzeug", "bleach",
             "wtforms", "jinja2"}


def test_the_domain_imports_no_web_or_database_code():
    offenders = []
    for path in DOMAIN.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith(
                    "deliberate.") and not node.module.startswith("deliberate.domain"):
                offenders.append(f"{path.name}: {node.module}")
    assert offenders == []


def test_only_the_text_module_imports_bleach():
    package = DOMAIN.parent
    users = [p.relative_to(package).as_posix() for p in package.rglob("*.py")
             if "import bleach" in p.read_text(encoding="utf-8") or "from bleach" in p.read_text(encoding="utf-8")]
    assert users == ["text.py"]


# --- the layers ----------------------------------------------------------------------------------------------------
#
# Imports run down only: domain < base < shared < services < forms < views < area commands < the app. Among the
# services, an area may call the areas listed before it. The command group (cli.py) builds the app: that one import
# runs up on purpose.

PACKAGE = DOMAIN.parent
BASE = {"config", "extensions", "models", "text", "routing", "polis"}
SHARED = {"permissions", "i18n", "mail", "security", "forms", "errors", "audit", "labels", "background",
          "downloads"}
APP = {"", "app", "commands", "cli", "wsgi"}
#: The areas in the order their services may call each other (an area calls only those before it).
AREAS = ("auth", "organizations", "notifications", "mentoring", "volunteers", "health", "opinion", "jobs",
         "deliberation", "demands", "consolidation", "ballots", "assemblies", "consultations", "agenda", "programmes",
         "events", "tasks", "demo", "ops")
#: Lazy imports kept on purpose, each loaded only by the work that needs it, so that create_app() and every command
#: start fast (tests/test_startup.py checks that they stay unimported):
LAZY_ON_PURPOSE = {
    "scipy",  # a tenth of a second: consolidation runs
    "PIL",  # Pillow, a tenth of a second: publishing a photo alone
    "huey",  # imports Redis's client and psycopg, a quarter of a second: the job queue, built when first used
    "redis",  # 0.15 s: the readiness check (and the queue, through Huey)
    "flask_migrate",  # imports Alembic, a tenth of a second: the db commands and migrating
    "alembic",  # the readiness check's comparison of the database's revision with the code's
}
#: Imports that still run up the layers, each to be removed (the list may only shrink).
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> tuple[int, int]:
    """Return (layer, area position) of a module of the package, named without the ``deliberate.`` prefix."""
    parts = module.split(".")
    head, last = parts[0], parts[-1]
    if module in APP:
        return 7, 0
    if head == "domain":
        return 0, 0
    if head in BASE:
        return 1, 0
    if head in SHARED or len(parts) == 1:  # an area's package itself holds only its names (labels)
        return 2, 0
    assert head in AREAS, f"deliberate/{head}: place the new area in AREAS, after the areas its services call"
    area = AREAS.index(head)
    return {"forms": (4, 0), "views": (5, 0), "cli": (6, 0)}.get(last, (3, area))


def _imports(tree: ast.AST):
    """Yield (imported module, whether the import runs at module level) for the package's own modules."""
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from deliberate.jobs import services` imports the module deliberate.jobs.services, not the package
            names = [f"{node.module}.{alias.name}" if _is_package_module(f"{node.module}.{alias.name}")
                     else node.module for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            yield name, id(node) in top, node


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            inside |= {id(child) for child in ast.walk(node)}
    return inside


def _is_package_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative / "__init__.py").is_file()


def test_no_import_runs_back_up_the_layers():
    upward = set()
    for path in PACKAGE.rglob("*.py"):
        source = _module_of(path)
        for name, _at_top, _node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if not name.startswith("deliberate.") or name.startswith("deliberate.translations"):
                continue
            target = name.removeprefix("deliberate.")
            while target and not _is_package_module("deliberate." + target):
                target = target.rpartition(".")[0]  # `from deliberate.x import name`: the module is deliberate.x
            if target.split(".")[0] == source.split(".")[0] and (
                    "." not in source or _layer(target)[0] <= _layer(source)[0]):
                continue  # within an area, down or sideways (a package gathers its own modules)
            if source in APP:
                continue  # the app and its command group build on everything
            if _layer(target) > _layer(source):
                upward.add((source, target))
    assert upward - KNOWN_UPWARD == set()
    assert upward >= KNOWN_UPWARD, "a known upward import is gone: take it off KNOWN_UPWARD"


def test_imports_are_at_the_top_of_every_module():
    inside_functions = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _type_checking_nodes(tree)
        for name, at_top, node in _imports(tree):
            if at_top or id(node) in typing_only or name.split(".")[0] in LAZY_ON_PURPOSE:
                continue
            inside_functions.append(f"{_module_of(path)}: {name}")
    assert sorted(inside_functions) == sorted(KNOWN_INSIDE_FUNCTIONS)


#: Function-level imports still to move to the top of their modules (the list may only shrink).
KNOWN_INSIDE_FUNCTIONS = [
]


#: Rules that must have one definition in the package: who acts as board or member, loading a consultation a person
#: may see, which items are on the ballot, and the privacy minimum.
ONE_DEFINITION = ("is_board", "is_member", "consultation_or_404", "active_items", "is_small", "can_act_for")


def test_each_rule_is_defined_once():
    definitions: dict[str, list[str]] = {name: [] for name in ONE_DEFINITION}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in definitions:
                definitions[node.name].append(_module_of(path))
    assert {name: len(where) for name, where in definitions.items()} == dict.fromkeys(ONE_DEFINITION, 1), definitions
