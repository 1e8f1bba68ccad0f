"""Area blocks of submodules, declared where each submodule is created.

``add_submodule(self, m, name, sub, "apc")`` adds ``sub`` to the module as ``m.submodules[name]``
does and records, on the owning component, which block of the area report its cells count to
(:data:`BLOCKS`; ``None``: its own cells count as its parent's, its tagged submodules as tagged).
The area tool (:func:`mtjsc.area.synth.area_tags`) reads these records, so renaming a submodule
cannot move its cells to another block.
"""

from __future__ import annotations

from mtjsc.errors import MtjscError

BLOCKS = ("sng", "xnor", "apc", "btanh", "or", "memories", "control")


def add_submodule(owner, m, name: str, sub, block: str | None):
    """``m.submodules[name] = sub``, with ``sub``'s area block recorded on ``owner``; returns ``sub``."""
    if block is not None and block not in BLOCKS:
        raise MtjscError(f"area block {block!r} of submodule {name!r}: choose one of {', '.join(BLOCKS)} or None")
    m.submodules[name] = sub
    owner.__dict__.setdefault("area_blocks", {})[name] = (block, sub)
    return sub


def block_at(component, path, top_block: str = "control") -> str:
    """The block of the submodule at ``path`` (submodule names from ``component`` down): the
    innermost tagged block on the path, ``top_block`` where none is."""
    block, node = top_block, component
    for part in path:
        entry = getattr(node, "area_blocks", {}).get(part)
        if entry is None:           # an untagged submodule: it and everything below count as its parent
            break
        block = entry[0] or block
        node = entry[1]
    return block
