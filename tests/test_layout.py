"""The tree in docs/architecture.md is the package's tree, and the six steps show in it."""

import re

from workbench import STEPS
from workbench.paths import NOTEBOOKS, ROOT

PACKAGE = ROOT / "workbench"


def documented_tree() -> set[str]:
    """Module paths (relative to workbench/) listed in the architecture note's tree."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("## The tree", 1)[1].split("```", 2)[1]
    paths, folder = set(), ""
    for line in block.splitlines():
        m = re.match(r"^( *)(\S+)", line)
        if not m or m.group(2) == "workbench/":
            continue
        indent, name = len(m.group(1)), m.group(2)
        if indent == 0:
            folder = ""
            continue
        if indent == 2:
            folder = name if name.endswith("/") else ""
            if name.endswith(".py"):
                paths.add(name)
        elif indent == 4 and name.endswith(".py"):
            paths.add(folder + name)
    return paths


def test_architecture_tree_lists_every_module_and_nothing_else():
    actual = {
        str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent == PACKAGE
    }
    assert documented_tree() == actual


def test_six_steps_have_a_module_a_notebook_and_a_test_of_the_same_name():
    for i, step in enumerate(STEPS, start=1):
        assert (PACKAGE / f"{step}.py").exists() or (PACKAGE / step / "__init__.py").exists(), step
        assert (NOTEBOOKS / f"{i:02d}-{step}.ipynb").exists(), step
        assert (ROOT / "tests" / f"test_{step}.py").exists() or (ROOT / "tests" / step).is_dir(), step


def test_no_flat_module_shadows_a_package():
    for pkg in (p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        assert not (PACKAGE / f"{pkg.name}.py").exists(), pkg.name
