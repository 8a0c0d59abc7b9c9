"""The layout shows the architecture: every import, those inside functions too, points down a layer, and none
makes a cycle. The engine's order is lenet.LAYERS; the app's code sits above all of it: studio, then pages, then
app.py. The README's design table is checked against each subpackage's own docstring, so it cannot drift."""

import ast
import re
from pathlib import Path

import pytest

import lenet

ROOT = Path(lenet.__file__).resolve().parent.parent
APP_LAYERS = ("studio", "pages", "app")
ORDER = {**{f"lenet.{name}": rank for rank, name in enumerate(lenet.LAYERS)},
         **{name: len(lenet.LAYERS) + rank for rank, name in enumerate(APP_LAYERS)}}
ENGINE_PACKAGES = [name for name in lenet.LAYERS if (ROOT / "lenet" / name / "__init__.py").is_file()]


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules():
    paths = [*ROOT.glob("lenet/**/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("studio/**/*.py"), ROOT / "app.py"]
    return {module_name(path): path for path in paths if path.is_file()}


def imports_of(path, modules):
    """Every project module that `path` imports, at any depth of its code: {module: first line}."""
    found = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:  # `from lenet.data import datasets` names the module; a function
                name = name.rpartition(".")[0]    # or class imported from a module counts as that module
            if name and name != "lenet":
                found.setdefault(name, node.lineno)
    return found


def layer_of(module):
    """The layer a module belongs to: its subpackage, or the top-level module itself."""
    parts = module.split(".")
    key = ".".join(parts[:2]) if parts[0] == "lenet" else parts[0]
    if key not in ORDER:
        raise AssertionError(f"{module} belongs to no layer: add it to lenet.LAYERS or APP_LAYERS")
    return ORDER[key]


def import_graph():
    modules = project_modules()
    return {name: imports_of(path, modules) for name, path in modules.items()}


def test_every_import_points_down_or_stays_in_its_layer():
    upward = [f"{importer} (line {line}) imports {imported}, a higher layer"
              for importer, imported_modules in import_graph().items()
              for imported, line in imported_modules.items()
              if importer != "lenet" and layer_of(imported) > layer_of(importer)]
    assert not upward, "\n".join(upward)


def find_cycle(graph):
    """One import cycle as a list of modules, or None; a depth-first search colouring modules as it goes."""
    state, stack = {}, []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for imported in graph.get(module, ()):
            if state.get(imported) == "open":
                return stack[stack.index(imported):] + [imported]
            if imported not in state and (cycle := visit(imported)):
                return cycle
        state[module] = "done"
        stack.pop()
        return None

    for module in graph:
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_there_is_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_checks_catch_an_upward_import_and_a_cycle():
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1}, "b": {}}) is None
    assert layer_of("lenet.train.training") > layer_of("lenet.serve.inference") > layer_of("lenet.config")
    assert layer_of("pages.draw") > layer_of("studio.state") > layer_of("lenet.cli")
    with pytest.raises(AssertionError, match="no layer"):
        layer_of("lenet.nowhere.module")


def test_the_engine_never_imports_streamlit():
    for name, path in project_modules().items():
        if name.startswith("lenet"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                        for alias in node.names}
            imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                         if isinstance(node, ast.ImportFrom) and node.module}
            assert "streamlit" not in imported, name


@pytest.mark.parametrize("package", ENGINE_PACKAGES)
def test_each_package_says_what_it_holds_and_what_it_may_import(package):
    doc = ast.get_docstring(ast.parse((ROOT / "lenet" / package / "__init__.py").read_text(encoding="utf-8")))
    allowed = re.search(r"Imports from: (.+)\.$", doc, re.MULTILINE)
    assert allowed, f"lenet/{package}/__init__.py must end with 'Imports from: …'"
    below = [name for name in lenet.LAYERS[:lenet.LAYERS.index(package)]]
    assert re.findall(r"\w+", allowed.group(1).split(":")[-1]) == below


def readme_design_rows():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `lenet/(\w+)/` \| (.+?) \|$", text, re.MULTILINE))


@pytest.mark.parametrize("package", ENGINE_PACKAGES)
def test_the_readme_design_table_is_each_package_s_own_description(package):
    doc = ast.get_docstring(ast.parse((ROOT / "lenet" / package / "__init__.py").read_text(encoding="utf-8")))
    holds = " ".join(doc.split("\n\n")[0].split())
    assert readme_design_rows().get(package) == holds, (
        f"README.md's design table must hold this row for lenet/{package}/ (its __init__ docstring):\n"
        f"| `lenet/{package}/` | {holds} |")
