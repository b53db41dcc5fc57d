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
