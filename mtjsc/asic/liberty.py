"""A reader of the Liberty subset the OSU library uses, and its table lookups.

Groups ``name (args) { ... }``, simple attributes ``key : value ;`` and complex
attributes ``key (values) ;``; tables are ``index_1``/``index_2``/``values``
looked up with bilinear interpolation, clamped to the table's range (the
first variable is the one the group's template names first).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from pathlib import Path

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[A-Za-z0-9_.+\-!\[\]\']+|[{}():;,]')


@dataclasses.dataclass
class Group:
    kind: str
    args: list
    attrs: dict = dataclasses.field(default_factory=dict)
    groups: list = dataclasses.field(default_factory=list)

    def all(self, kind: str) -> list:
        return [g for g in self.groups if g.kind == kind]

    def one(self, kind: str, name: str | None = None):
        for g in self.groups:
            if g.kind == kind and (name is None or (g.args and g.args[0] == name)):
                return g
        return None


def _unquote(t: str) -> str:
    return t[1:-1] if t.startswith('"') else t


def parse(text: str) -> Group:
    """The library group of a Liberty text."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S).replace("\\\n", " ")
    toks = _TOKEN.findall(text)
    pos = 0

    def group(kind, args) -> Group:
        nonlocal pos
        g = Group(kind, args)
        while toks[pos] != "}":
            name = toks[pos]
            pos += 1
            if toks[pos] == ":":
                pos += 1
                val = []
                while toks[pos] != ";":
                    val.append(_unquote(toks[pos]))
                    pos += 1
                pos += 1
                g.attrs[name] = " ".join(val)
            elif toks[pos] == "(":
                pos += 1
                vals = []
                while toks[pos] != ")":
                    if toks[pos] != ",":
                        vals.append(_unquote(toks[pos]))
                    pos += 1
                pos += 1
                if toks[pos] == "{":
                    pos += 1
                    g.groups.append(group(name, vals))
                    pos += 1
                else:
                    if toks[pos] == ";":
                        pos += 1
                    g.attrs[name] = vals
            else:
                pos += 1
        return g

    while toks[pos] != "library":
        pos += 1
    pos += 1
    name = []
    pos += 1
    while toks[pos] != ")":
        name.append(toks[pos])
        pos += 1
    pos += 2
    return group("library", name)


def floats(vals) -> list:
    out = []
    for v in vals if isinstance(vals, list) else [vals]:
        out += [float(x) for x in str(v).replace(",", " ").split()]
    return out


def _interp(xs, x):
    if len(xs) == 1:
        return 0, 0, 0.0
    x = min(max(x, xs[0]), xs[-1])
    i = min(max(bisect.bisect_right(xs, x) - 1, 0), len(xs) - 2)
    return i, i + 1, (x - xs[i]) / (xs[i + 1] - xs[i])


def lookup(table: Group, templates: dict, **values) -> float:
    """``table`` at the named variables (``total_output_net_capacitance``, ``input_transition_time``, ...)."""
    variables = templates.get(table.args[0] if table.args else "", [])
    i1 = floats(table.attrs.get("index_1", ["0"]))
    v = floats(table.attrs["values"])
    x1 = values.get(variables[0], i1[0]) if variables else i1[0]
    a, b, t = _interp(i1, x1)
    if "index_2" not in table.attrs:
        return v[a] + t * (v[b] - v[a])
    i2 = floats(table.attrs["index_2"])
    x2 = values.get(variables[1], i2[0]) if len(variables) > 1 else i2[0]
    c, d, u = _interp(i2, x2)
    n2 = len(i2)
    row = lambda r: v[r * n2 + c] + u * (v[r * n2 + d] - v[r * n2 + c])
    return row(a) + t * (row(b) - row(a))


@functools.lru_cache(maxsize=4)
def load(path: str) -> Group:
    return parse(Path(path).read_text())


def templates(lib: Group) -> dict:
    """Template name -> its variables in order."""
    out = {}
    for kind in ("lu_table_template", "power_lut_template"):
        for t in lib.all(kind):
            out[t.args[0]] = [t.attrs[k] for k in ("variable_1", "variable_2", "variable_3") if k in t.attrs]
    return out
