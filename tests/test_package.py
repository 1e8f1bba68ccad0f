"""The package as a whole: no import cycles, the docs build with warnings as errors, and a
non-editable install ships every file the code opens at run time."""
import ast
import subprocess
import sys
import zipfile
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
#: folders and the package they install as (pyproject's package-dir)
FOLDERS = {"mtjsc": "mtjsc", "hdl": "mtjsc.hdl", "behavioral_models": "mtjsc.behavioral_models", "sim": "mtjsc.sim",
           "boards": "mtjsc.boards"}


def import_graph() -> dict:
    """Module -> the project modules it imports (module level or inside functions)."""
    mods = {}
    for folder, pkg in FOLDERS.items():
        for p in (ROOT / folder).rglob("*.py"):
            parts = [x for x in p.relative_to(ROOT / folder).with_suffix("").parts if x != "__init__"]
            mods[".".join([pkg, *parts])] = p

    def resolve(name):
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph = {m: set() for m in mods}
    for m, p in mods.items():
        base = m.split(".") if p.name == "__init__.py" else m.split(".")[:-1]
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mod = ".".join(base[:len(base) - node.level + 1] + [node.module or ""]) if node.level else node.module
                targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
            else:
                continue
            for t in targets:
                r = resolve(t)
                if r and r != m and not m.startswith(r + "."):
                    graph[m].add(r)
    return graph


def cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            strong(v)
    return out


def test_the_package_has_no_import_cycles():
    g = import_graph()
    assert len(g) > 60 and g["mtjsc.cli.demo"]                 # the graph was read
    assert cycles(g) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_hdl_imports_no_training_code():
    bad = {m: sorted(d for d in deps if d.startswith(("mtjsc.training", "mtjsc.studies", "mtjsc.cli")))
           for m, deps in import_graph().items() if m.startswith("mtjsc.hdl")}
    assert {m: d for m, d in bad.items() if d} == {}


def test_no_module_of_the_package_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "mtjsc").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}


def test_docs_build_with_warnings_as_errors(tmp_path):
    r = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(ROOT / "docs"), str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "getting-started.html").is_file() and (tmp_path / "api.html").is_file()
    assert "ScMlpAccelerator" in (tmp_path / "guides" / "accelerator.html").read_text()


def test_the_wheel_ships_every_file_the_code_opens(tmp_path):
    """Every tracked file of the package folders (models, test set, the C++ harness) is in the wheel."""
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    wheel = next(tmp_path.glob("mtjsc-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", *FOLDERS], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    want = set()
    for f in tracked:
        folder, _, rest = f.partition("/")
        pkg = FOLDERS[folder].replace(".", "/")
        want.add(f"{pkg}/{rest}")
    assert "mtjsc/sim/accelerator_main.cpp" in want and "mtjsc/data/model_L64.npz" in want
    assert sorted(want - names) == []
