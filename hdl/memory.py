"""On-chip memories as modules of their own.

An ``amaranth.lib.memory.Memory`` is emitted inside its parent's Verilog
module; wrapped in :class:`MemoryBlock` it becomes a module named after
its submodule name, so area reports can count memories (and their
registered read ports, which Yosys's generic flow keeps as flip-flops)
apart from the logic around them (``mtjsc.area.synth``: submodules named
``mem_*``).
"""

from __future__ import annotations

from types import SimpleNamespace

from amaranth import Module, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from mtjsc.errors import MtjscError
from mtjsc.validate import check_int


class MemoryBlock(wiring.Component):
    """One memory: a synchronous read port and, if ``writable``, a write port.

    Parameters
    ----------
    width, depth : int
        Word width and number of words.
    init : sequence of int
        Initial contents (a ROM when not writable).
    writable : bool
        Add the write port ``wr_addr``, ``wr_data``, ``wr_en``.
    granularity : int, optional
        Write-enable granularity in bits (``wr_en`` has width / granularity bits).
    transparent : bool
        A read of the address being written returns the new data (else the old).
    read_enable : bool
        Add ``rd_en``: the read port takes its address only on clocks with ``rd_en`` and holds its
        data otherwise (a register of the data for free: an EBR's output register).
    style : {None, "block", "logic"}
        Where synthesis puts it (Yosys's ``ram_style``); None lets Yosys choose. A shallow, wide ROM
        read once in many clocks belongs in block RAM: Yosys would build it from LUTs whose shared
        address nets congest the router.

    The ports are ``rd_addr``, ``rd_data`` (valid the clock after the address)
    and the write port; :attr:`rd` and :attr:`wr` group them as ``.addr``,
    ``.data``, ``.en`` like Amaranth's own ports.
    """

    def __init__(self, *, width: int, depth: int, init=(), writable: bool = False, granularity: int | None = None,
                 transparent: bool = False, read_enable: bool = False, style: str | None = None):
        self.width = check_int(width, "memory width", minimum=1)
        self.depth = check_int(depth, "memory depth", minimum=1)
        self.init = list(init)
        if len(self.init) > self.depth:
            raise MtjscError(f"memory init has {len(self.init)} words, more than its depth {self.depth}")
        if granularity is not None and (not writable or self.width % granularity):
            raise MtjscError(f"write granularity {granularity} must divide the width {self.width} of a writable "
                             f"memory")
        if transparent and not writable:
            raise MtjscError("a transparent read port needs a write port (writable=True)")
        self.writable, self.granularity, self.transparent = writable, granularity, transparent
        self.read_enable = read_enable
        if style not in (None, "block", "logic"):
            raise MtjscError(f"memory style {style!r}: use None, 'block' or 'logic'")
        self.style = style
        members = {"rd_addr": In(range(self.depth)), "rd_data": Out(self.width)}
        if read_enable:
            members["rd_en"] = In(1)
        if writable:
            members.update(wr_addr=In(range(self.depth)), wr_data=In(self.width),
                           wr_en=In(self.width // granularity if granularity else 1))
        super().__init__(members)

    @property
    def rd(self):
        return SimpleNamespace(addr=self.rd_addr, data=self.rd_data, en=getattr(self, "rd_en", None))

    @property
    def wr(self):
        return SimpleNamespace(addr=self.wr_addr, data=self.wr_data, en=self.wr_en)

    def elaborate(self, platform):
        m = Module()
        attrs = {"ram_style": self.style} if self.style else None
        m.submodules.mem = mem = Memory(shape=unsigned(self.width), depth=self.depth, init=self.init, attrs=attrs)
        if self.writable:
            wr = mem.write_port(granularity=self.granularity)
            m.d.comb += [wr.addr.eq(self.wr_addr), wr.data.eq(self.wr_data), wr.en.eq(self.wr_en)]
            rd = mem.read_port(transparent_for=(wr,) if self.transparent else ())
        else:
            rd = mem.read_port()
        m.d.comb += [rd.addr.eq(self.rd_addr), self.rd_data.eq(rd.data)]
        if self.read_enable:
            m.d.comb += rd.en.eq(self.rd_en)
        return m
