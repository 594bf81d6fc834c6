"""Stage code cannot drift: each DVC stage's deps cover every module its command imports.

The closure is computed from the source: the commands in the stage's ``cmd`` (and, for a
Snakemake stage, in the rules its target runs), the CLI module of each command, the stage
module a stage command names, every module those import (at module level or inside a
function), and every module a registry of theirs names (``"gifworthy.x.y:Class"`` strings:
plug-ins load on demand). A module outside the stage's deps fails the test, naming both."""

from __future__ import annotations

import ast
import re
import shlex
from functools import cache
from pathlib import Path

import pytest
import yaml

from gifworthy.cli import COMMANDS
from gifworthy.pipeline.stage import STAGES

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
REGISTRY_ENTRY = re.compile(r"^(gifworthy(?:\.[a-z_0-9]+)+):[A-Za-z_][A-Za-z_0-9]*$")
# The stage registry is resolved by the stage a command names, not followed wholesale.
BY_ARGUMENT = {"gifworthy.pipeline.stage"}


def module_file(name: str) -> Path | None:
    base = SRC / Path(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


@cache
def direct_imports(name: str) -> frozenset[str]:
    path = module_file(name)
    assert path is not None, name
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and name not in BY_ARGUMENT and REGISTRY_ENTRY.match(node.value)):
            found.add(REGISTRY_ENTRY.match(node.value).group(1))
    out = set()
    for mod in found:
        if mod.split(".")[0] == "gifworthy":
            out |= {p for p in _parents(mod) if module_file(p) is not None}
    return frozenset(out)


def closure(roots: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = [p for r in roots for p in _parents(r) if module_file(p) is not None]
    while todo:
        mod = todo.pop()
        if mod not in seen:
            seen.add(mod)
            todo += direct_imports(mod)
    return seen


def rules_of(target: str) -> list[str]:
    """The shell commands of a Snakemake report rule and the job rule it gathers."""
    text = "\n".join(p.read_text() for p in sorted((ROOT / "rules").glob("*.smk")))
    stage = target.removesuffix("_report")
    commands = []
    for rule in (target, stage):
        match = re.search(rf"^rule {rule}:\n(.*?)(?=^rule |\Z)", text, re.S | re.M)
        assert match, f"no rule {rule} in rules/"
        commands += re.findall(r'"(gifworthy [^"]+)"', match.group(1))
    return commands


def workflow_imports() -> set[str]:
    text = (ROOT / "Snakefile").read_text() + "".join(
        p.read_text() for p in (ROOT / "rules").glob("*.smk"))
    return set(re.findall(r"^\s*from (gifworthy[\w.]*) import", text, re.M))


def stage_roots(stage: dict) -> tuple[set[str], bool]:
    """Modules a stage's command runs, and whether it runs Snakemake."""
    roots = {"gifworthy.cli"}
    commands = []
    uses_snakemake = False
    for part in re.split(r"&&|\n", stage["cmd"]):
        words = shlex.split(part.replace("\\$", "$"))
        while words:
            if words[0] == "gifworthy":
                commands.append(words)
                words = words[words.index("--") + 1:] if "--" in words else []
            elif words[0] == "snakemake":
                uses_snakemake = True
                commands += [shlex.split(c) for c in rules_of(words[-1])]
                words = []
            else:
                words = words[1:]
    for words in commands:
        command = words[1]
        assert command in COMMANDS, f"{command}: not a gifworthy command"
        roots.add(f"gifworthy.cli.{COMMANDS[command]}")
        if command in ("prepare", "run-one", "report"):
            roots.add(STAGES[words[2]].partition(":")[0])
    if uses_snakemake:
        roots |= workflow_imports()
    return roots, uses_snakemake


def covered(path: Path, deps: list[str]) -> bool:
    rel = path.relative_to(ROOT).as_posix()
    return any(rel == d or rel.startswith(d.rstrip("/") + "/") for d in deps)


def dep_names(stage: dict) -> list[str]:
    return [next(iter(d)) if isinstance(d, dict) else d for d in stage.get("deps", [])]


@pytest.mark.parametrize("name", sorted(DVC))
def test_stage_deps_cover_its_import_closure(name):
    stage = DVC[name]
    roots, uses_snakemake = stage_roots(stage)
    deps = dep_names(stage)
    missing = sorted(str(module_file(m).relative_to(ROOT)) for m in closure(roots)
                     if not covered(module_file(m), deps))
    assert not missing, f"stage {name!r} imports modules its deps do not list: {missing}"
    if uses_snakemake:
        assert {"Snakefile", "rules"} <= set(deps), name


def test_closure_follows_function_level_imports_and_registries():
    """The checker itself: a lazily imported module and a registry's plug-ins count."""
    features = closure({"gifworthy.features.stage"})
    assert {"gifworthy.features.motion", "gifworthy.features.c3d",
            "gifworthy.segments", "gifworthy.shots.stage"} <= features
    train = closure({"gifworthy.cli.ranking"})
    assert {"gifworthy.ranking.models.gbdt", "gifworthy.ranking.inference",
            "gifworthy.features.stage"} <= train
    # The stage registry is followed by argument only: trim's closure holds no features.
    trim = closure({"gifworthy.cli.stages", "gifworthy.trim"})
    assert "gifworthy.features.stage" not in trim and "gifworthy.trim" in trim


def test_sample_is_imported_only_through_the_corpus_registry():
    """Nothing in production imports the sample package; its reader is a registry entry."""
    for path in sorted((SRC / "gifworthy").rglob("*.py")):
        if "sample" in path.relative_to(SRC / "gifworthy").parts[:1]:
            continue
        name = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        text = path.read_text()
        imported = {m for m in direct_imports(name) if m.startswith("gifworthy.sample")}
        allowed = {"gifworthy.corpus.readers": {"gifworthy.sample", "gifworthy.sample.reader"},
                   "gifworthy.cli.sample": {"gifworthy.sample", "gifworthy.sample.corpus"},
                   "gifworthy.screentime.sample": {"gifworthy.sample",
                                                   "gifworthy.sample.corpus"}}
        assert imported <= allowed.get(name, set()), (name, imported)
        assert 'source"] == "sample"' not in text and "== \"sample\"" not in text, name
