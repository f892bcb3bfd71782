"""Small modules and functions (docs/architecture.md, "Size limits and their exceptions").

No module over 400 lines and no function over 60 lines in ingest/, graph/, analytics/ and app/,
outside the generator (ingest/synth/); an exception must be listed in that section of
docs/architecture.md with its reason, and a listed exception that no longer exceeds the limit
must be taken off the list.
"""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def oversized(root: Path = ROOT) -> list[str]:
    """``path`` for each module over the limit, ``path:function`` for each function over it."""
    found = []
    for top in ("ingest", "graph", "analytics", "app"):
        for path in sorted((root / top).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel.startswith("ingest/synth/"):
                continue
            text = path.read_text(encoding="utf-8")
            if len(text.splitlines()) > MAX_MODULE_LINES:
                found.append(rel)
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                    if node.end_lineno is not None and node.end_lineno - first + 1 > MAX_FUNCTION_LINES:
                        found.append(f"{rel}:{node.name}")
    return found


def listed_exceptions() -> set[str]:
    """The backticked paths (``path`` or ``path:function``) of the exceptions section."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Size limits and their exceptions", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`((?:ingest|graph|analytics|app)/[\w/]+\.py(?::\w+)?)`", section))


def test_no_module_or_function_is_over_the_limit_unless_listed():
    unlisted = sorted(set(oversized()) - listed_exceptions())
    assert not unlisted, f"over {MAX_MODULE_LINES} lines (module) or {MAX_FUNCTION_LINES} (function), " \
                         f"not listed in docs/architecture.md: {', '.join(unlisted)}"


def test_every_listed_exception_is_still_one():
    stale = sorted(listed_exceptions() - set(oversized()))
    assert not stale, f"listed as exceptions in docs/architecture.md but within the limits: {', '.join(stale)}"


def test_the_check_sees_a_long_module_and_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "long.py").write_text("def long():\n" + body + "\n" + "\n" * MAX_MODULE_LINES)
    (tmp_path / "ingest" / "synth").mkdir(parents=True)
    (tmp_path / "ingest" / "synth" / "world.py").write_text("\n" * (MAX_MODULE_LINES + 1))
    assert oversized(tmp_path) == ["app/long.py", "app/long.py:long"]
