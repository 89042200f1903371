"""The MPU's regions applied to the simulated memory: permissions and cacheability.

When the firmware changes the MPU (peripherals/mpu.py calls :meth:`MpuMap.apply` at the next
instruction boundary), every RAM and flash page gets the permissions the MPU allows there
(privileged access, which is how CubeMX and FreeRTOS firmware without the MPU port runs),
never more than the memory itself allows (flash is not writable), through Unicorn's page
protections; an access Unicorn refuses that the MPU forbids is a MemManage fault
(DACCVIOL with MMFAR, or IACCVIOL) instead of a bus fault. Pages are Unicorn's (1 KB): a page
only partly covered by a region gets the most permissive of its parts, so MPU regions smaller
than a page are not enforced (no false faults). Regions whose attributes are not cacheable
(Normal non-cacheable, Device, Strongly-ordered: ARMv7-M B3.5.7) are given to the D-cache
model, whose accesses there go to memory uncached (the MPU's most common use on the H7:
DMA buffers). Unprivileged access rules (AP for thread mode with CONTROL.nPRIV) are not
modelled.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from unicorn import UC_PROT_EXEC, UC_PROT_READ, UC_PROT_WRITE

from .exceptions import DACCVIOL, IACCVIOL

if TYPE_CHECKING:
    from peripherals.mpu import MPU, MpuRegion

    from .machine import Machine

RWX = UC_PROT_READ | UC_PROT_WRITE | UC_PROT_EXEC
# RASR.AP -> privileged permissions (ARMv7-M B3.5.4 Table B3-15); 100 is reserved: no access
_AP = {0: 0, 1: UC_PROT_READ | UC_PROT_WRITE, 2: UC_PROT_READ | UC_PROT_WRITE,
       3: UC_PROT_READ | UC_PROT_WRITE, 4: 0, 5: UC_PROT_READ, 6: UC_PROT_READ, 7: UC_PROT_READ}


class MpuMap:
    def __init__(self, machine: Machine, mpu: MPU) -> None:
        self.m = machine
        self.mpu = mpu
        self.page = int(machine.uc.ctl_get_page_size())
        self._spans: list[tuple[int, int, int]] = []   # (start, end, default perms)
        for r in machine.platform.regions:
            perms = UC_PROT_READ | (0 if r.kind == "flash" else UC_PROT_WRITE) \
                | (UC_PROT_EXEC if r.exec else 0)
            self._spans.append((r.base, r.end, perms))
        for a in machine.platform.aliases:
            self._spans.append((a.base, a.base + a.size, RWX))
        self._applied: dict[int, int] = {}                # page -> perms now in force
        self.uncached: list[tuple[int, int]] = []
        mpu.listeners.append(self.apply)

    # --- what the MPU allows -----------------------------------------------------------------
    def _region_at(self, addr: int, regions: list[MpuRegion]) -> MpuRegion | None:
        for reg in reversed(regions):                      # the highest number wins
            if any(a <= addr < b for a, b in reg.spans()):
                return reg
        return None

    def allowed(self, addr: int) -> int | None:
        """Unicorn permissions the MPU allows at ``addr`` (None: the MPU is off)."""
        if not self.mpu.enabled:
            return None
        reg = self._region_at(addr, self.mpu.regions())
        if reg is None:
            return RWX if self.mpu.privdefena else 0
        perms = _AP[reg.ap]
        if not reg.xn and perms & UC_PROT_READ:
            perms |= UC_PROT_EXEC
        return perms

    def _page_perms(self, page: int, default: int, regions: list[MpuRegion]) -> int:
        """The most permissive of what the MPU allows in the page's pieces."""
        cuts = {page, page + self.page}
        for reg in regions:
            for a, b in reg.spans():
                for x in (a, b):
                    if page < x < page + self.page:
                        cuts.add(x)
        points = sorted(cuts)[:-1]
        perms = 0
        for p in points:
            reg = self._region_at(p, regions)
            if reg is None:
                allowed = RWX if self.mpu.privdefena else 0
            else:
                allowed = _AP[reg.ap] | (UC_PROT_EXEC if not reg.xn and _AP[reg.ap] else 0)
            perms |= allowed
        return perms & default

    # --- applying -----------------------------------------------------------------------------
    def apply(self) -> None:
        uc = self.m.uc
        regions = self.mpu.regions() if self.mpu.enabled else []
        changes: list[tuple[int, int]] = []
        for start, end, default in self._spans:
            for page in range(start, end, self.page):
                perms = self._page_perms(page, default, regions) if self.mpu.enabled \
                    else default
                if self._applied.get(page, default) != perms:
                    changes.append((page, perms))
                    self._applied[page] = perms
        left_out = self.m.faults.left_out       # RAM the fault hook leaves out (tlb_fill.py)
        if left_out and any(first <= page <= last for page, _ in changes
                            for first, last in left_out):
            self.m.defer_hook_change(self.m.faults.cover_left_out)
        run: tuple[int, int, int] | None = None           # merge contiguous equal pages
        for page, perms in changes + [(-1, -1)]:
            if run is not None and page == run[1] and perms == run[2]:
                run = (run[0], page + self.page, perms)
                continue
            if run is not None:
                uc.mem_protect(run[0], run[1] - run[0], run[2])
            run = (page, page + self.page, perms) if page >= 0 else None
        if changes:
            uc.ctl_remove_cache(0, 0xFFFFFFFF)
        self.uncached = self._uncached(regions)
        if self.m.dcache is not None:
            self.m.dcache.set_uncached(self.uncached)
        self.m.log(f"MPU {'on' if self.mpu.enabled else 'off'}: {len(regions)} regions, "
                   f"{len(changes)} pages changed, {len(self.uncached)} non-cacheable ranges")

    def _uncached(self, regions: list[MpuRegion]) -> list[tuple[int, int]]:
        """[start, end) ranges whose MPU attributes are not cacheable (highest region wins)."""
        points = sorted({x for r in regions for a, b in r.spans() for x in (a, b)})
        out: list[tuple[int, int]] = []
        for a, b in pairwise(points):
            reg = self._region_at(a, regions)
            if reg is not None and not reg.cacheable:
                if out and out[-1][1] == a:
                    out[-1] = (out[-1][0], b)
                else:
                    out.append((a, b))
        return out

    # --- faults -------------------------------------------------------------------------------
    def violation(self, fetch: bool, write: bool, addr: int) -> int | None:
        """The MemManage CFSR bit when the MPU forbids this access, else None."""
        allowed = self.allowed(addr)
        if allowed is None:
            return None
        need = UC_PROT_EXEC if fetch else (UC_PROT_WRITE if write else UC_PROT_READ)
        if allowed & need:
            return None
        return IACCVIOL if fetch else DACCVIOL
