"""Timer synchronisation and the encoder interface of TIM1-17 (RM0433 Rev 8, 39.3.x / 40.3.x:
"Timer synchronization", "Slave mode: ...", "Encoder interface mode").

Master: CR2.MMS selects what the timer sends on TRGO: 000 the UG bit (and a reset from its own
slave controller), 001 the counter enable (a level), 010 the update event, 011 a pulse when CC1IF
is set. (100-111, OCxREF as TRGO, are not modelled: logged once.)

Slave: SMCR.TS picks the trigger input TRGI; ITR0-ITR3 are other timers' TRGO, from the platform
parameter ``itr`` (the "TIMx internal trigger connection" table of RM0433). SMCR.SMS:
0100 reset (a rising TRGI edge re-initialises the counter as UG does), 0101 gated (the counter
runs while TRGI is high), 0110 trigger (a rising edge sets CEN), 0111 external clock mode 1
(rising TRGI edges, divided by PSC+1, clock the counter), 1000 reset + trigger. TIF is set on
each trigger (both edges in gated mode) with its interrupt (TIE) and DMA request (TDE).
Trigger inputs TI1F_ED, TI1FP1, TI2FP2 and ETRF are not modelled (logged once).

Encoder: SMS 0001 / 0010 / 0011 count on TI1 edges, TI2 edges or both, up or down from the
level of the other input (RM0433 table "Counting direction versus encoder signals"; CCxP
inverts an input), between 0 and ARR with an update event at each wrap; DIR reads the
direction. The inputs are driven with ``Timer.input_edge`` (simulated signals).

External clock mode 1 and the encoder count pulses, not time: the counter is then held in
``_pulse_value`` and the time-based machinery of tim.py is idle (a tick of 0 core cycles).
"""

from __future__ import annotations

from fractions import Fraction

CEN, DIR = 1, 16
TIF, TIE, TDE = 1 << 6, 1 << 6, 1 << 14
SMS_RESET, SMS_GATED, SMS_TRIGGER, SMS_EXTCLK, SMS_RESET_TRIGGER = 4, 5, 6, 7, 8
_ENCODER = (1, 2, 3)


class TimerSync:
    """Mixin of peripherals.tim.Timer: master/slave synchronisation and the encoder."""

    def _sync_init(self, params: dict) -> None:
        self.itr: list[str] = [str(n) for n in (params.get("itr") or [])]
        self._itr_blocks: list[TimerSync | None] = []       # resolved by connected()
        self._slaves: list[TimerSync] = []
        self._master: TimerSync | None = None
        self._trgi_level = False
        self._gate = False
        self._pulse_value = 0
        self._ext_edges = 0
        self._logged: set[str] = set()

    def connected(self, find) -> None:
        """Resolve the platform's ``itr`` names (ITR0..3 masters) to timers, once."""
        self._itr_blocks = [find(n, TimerSync) for n in self.itr]  # type: ignore[misc]

    # --- fields -------------------------------------------------------------------------------
    def _sms(self) -> int:
        if "SMCR" not in self._by_name:
            return 0
        v = self.reg("SMCR")
        return (v & 7) | ((v >> 16) & 1) << 3

    def _ts(self) -> int:
        v = self.reg("SMCR") if "SMCR" in self._by_name else 0
        return ((v >> 4) & 7) | ((v >> 20) & 3) << 3

    def _mms(self) -> int:
        return (self.reg("CR2") >> 4) & 7

    def _pulse_counted(self) -> bool:
        return self._sms() in (*_ENCODER, SMS_EXTCLK)

    def _frozen(self) -> bool:
        """No counting with time: pulse-counted modes, or gated mode with TRGI low."""
        return self._pulse_counted() or (self._sms() == SMS_GATED and not self._gate)

    def _log_once(self, message: str) -> None:
        if message not in self._logged:
            self._logged.add(message)
            self.ctx.log(f"warning: {self.name}: {message}")

    # --- master side ----------------------------------------------------------------------------
    def trgo_level(self) -> bool:
        """TRGO as a level (MMS = 001: the counter enable)."""
        return self._mms() == 1 and self._running

    def _trgo_pulse(self, kind: str) -> None:
        """``kind``: 'ug' (EGR.UG), 'reset' (own slave reset), 'update' (UEV), 'cc1'."""
        if not self._slaves:
            return
        mms = self._mms()
        fire = (mms == 0 and kind in ("ug", "reset")) or \
            (mms == 2 and kind in ("ug", "reset", "update")) or (mms == 3 and kind == "cc1")
        if mms >= 4:
            self._log_once(f"TRGO = OC{mms - 3}REF (CR2.MMS={mms}) is not modelled")
        if fire:
            for s in list(self._slaves):
                s._trgi(True)
                s._trgi(False)

    def _trgo_changed(self) -> None:
        """The counter enable changed: slaves gated/triggered by it (MMS = 001) follow."""
        if self._slaves and self._mms() == 1:
            for s in list(self._slaves):
                s._trgi(self._running)

    def _trgo_each_update(self) -> bool:
        """Slaves need every update event one by one (no closed-form catch-up)."""
        return bool(self._slaves) and self._mms() == 2

    # --- slave side ---------------------------------------------------------------------------
    def _connect_master(self) -> None:
        sms, ts = self._sms(), self._ts()
        master = None
        if SMS_RESET <= sms <= SMS_RESET_TRIGGER:
            if ts < 4 and ts < len(self.itr):
                master = self._itr_blocks[ts] if ts < len(self._itr_blocks) else None
            elif ts < 4:
                self._log_once(f"ITR{ts} has no source in the platform's itr table")
            else:
                self._log_once(f"trigger input TS={ts} (TI1F_ED/TI1FP1/TI2FP2/ETRF) is not "
                               "modelled; only ITR0-ITR3")
        if master is self._master:
            return
        if self._master is not None and self in self._master._slaves:
            self._master._slaves.remove(self)
        self._master = master
        self._trgi_level = False
        if master is not None:
            master._slaves.append(self)
            master._plan()                       # it may have to schedule its update events
            self._trgi_level = master.trgo_level()
        self._gate = self._trgi_level

    def _trgi(self, level: bool) -> None:
        """The trigger input TRGI goes to ``level`` now."""
        if level == self._trgi_level:
            return
        self._trgi_level = level
        sms = self._sms()
        self._sync()
        if sms == SMS_GATED:
            self._gate = level
            self._retime()
            self._trigger_flag()
            return
        if not level:
            return
        if sms == SMS_EXTCLK:
            self._ext_edges += 1
            if self._ext_edges > self._psc:          # PSC+1 TRGI edges per count
                self._ext_edges = 0
                self._count_step(not self.reg("CR1") & DIR)
        elif sms in (SMS_RESET, SMS_RESET_TRIGGER):
            self._reinit()
            self._trgo_pulse("reset")
            if sms == SMS_RESET_TRIGGER:
                self._start_by_trigger()
        elif sms == SMS_TRIGGER:
            self._start_by_trigger()
        self._trigger_flag()
        self._plan()
        self._flush_dma()

    def _start_by_trigger(self) -> None:
        old = self.reg("CR1")
        if not old & CEN:
            self.set_reg("CR1", old | CEN)
            self.on_write_CR1(old, old | CEN)

    def _trigger_flag(self) -> None:
        self.set_reg("SR", self.reg("SR") | TIF)
        if self.reg("DIER") & TDE:
            self._dma_request("TRIG")
        self._irqs()

    def _retime(self) -> None:
        """The counting rate changed now (gate, slave mode): keep the count, go on at the
        new rate (0: frozen)."""
        tick = self._ticks_per_cycle_inverse()
        if not self._running:
            self._tick = tick
            return
        now = self._now()
        self._advance(now)
        p = self._pos_at(now)
        self._anchor = self._cycle_of(p) if self._tick else Fraction(now)
        self._anchor_p = p
        self._tick = tick
        self._plan()

    def _smcr_written(self, old: int, new: int) -> None:
        was_pulse = self._sms_of(old) in (*_ENCODER, SMS_EXTCLK)
        if not was_pulse and self._pulse_counted():
            self._pulse_value = self._current_value()
            self._ext_edges = 0
        self._connect_master()
        if was_pulse and not self._pulse_counted():
            self.set_reg("CNT", self._pulse_value)
            if self._running:
                self._restart_from(self._pulse_value, bool(self.reg("CR1") & DIR))
            else:
                self._anchor_p = self._seen = self._position(self._pulse_value, False)
        self._retime()

    @staticmethod
    def _sms_of(v: int) -> int:
        return (v & 7) | ((v >> 16) & 1) << 3

    # --- pulse-counted modes: external clock 1 and the encoder -------------------------------
    def _count_step(self, up: bool) -> None:
        """One counter clock in a pulse-counted mode: up/down between 0 and ARR, an update
        event at each wrap, compare matches on the new value."""
        if not self._running:
            return
        v, arr = self._pulse_value, self._arr
        wrapped = False
        if up:
            v, wrapped = (0, True) if v >= arr else (v + 1, False)
        else:
            v, wrapped = (arr, True) if v == 0 else (v - 1, False)
        self._pulse_value = v
        cr1 = self.reg("CR1")
        self.set_reg("CR1", cr1 & ~DIR if up else cr1 | DIR)
        if wrapped and self._overflows(1):
            self._transfer()
        sr = self.reg("SR")
        for c in range(1, min(self.channels, 4) + 1):
            if not self._ccs(c) and v == self._ccr[c] and self.kind != "basic":
                self._toggles[c] += 1
                sr |= 1 << c
                if self.reg("DIER") >> (8 + c) & 1:
                    self._dma_request(f"CC{c}")
                if c == 1:
                    self._trgo_pulse("cc1")
        if sr != self.reg("SR"):
            self.set_reg("SR", sr)
            self._irqs()

    def _encoder_edge(self, c: int) -> None:
        """An edge on TIc in encoder mode (RM0433 "Counting direction versus encoder
        signals"): TI1 edges count up when TI1 and TI2 (after CCxP) differ, TI2 edges when
        they are equal; the other way round down."""
        sms = self._sms()
        if c not in (1, 2) or (sms == 1 and c != 1) or (sms == 2 and c != 2):
            return
        t1 = self._input[1] ^ bool(self._ccer(1) >> 1 & 1)
        t2 = self._input[2] ^ bool(self._ccer(2) >> 1 & 1)
        self._count_step(t1 != t2 if c == 1 else t1 == t2)
        self._flush_dma()
