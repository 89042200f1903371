"""Audio clips for the simulated microphone: decode, mix to mono, resample, convert.

:func:`load_clip` turns a WAV/FLAC/OGG file into the sample stream the firmware's SAI receiver
will see: one mono channel at the SAI frame rate, in the integer format of the SAI data size
(DS), ready for :meth:`peripherals.sai.SAIBlock.attach_source`.

Every way a file can be unusable ends in one :class:`AudioError` whose message is a single line
that names the file and the problem, so the CLI can print it as is (exit code 2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

#: Longest clip accepted. Two hours of 16 kHz mono is 115 M samples (230 MB as int16), which
#: still fits the host comfortably; the limit is there so a mistaken file fails fast.
MAX_SECONDS = 2 * 3600
#: Most mono samples decoded into host memory (float32: 1.3 GiB): two hours at 48 kHz.
MAX_MONO_SAMPLES = MAX_SECONDS * 48_000
#: Frames decoded per read: a header that claims hours costs host memory only for the
#: frames the file really holds (a 53 kB FLAC claiming 2 h asked libsndfile for 82 GiB).
READ_BLOCK_FRAMES = 1 << 16
#: More channels than this is not a microphone recording (7.1 is the largest common layout).
MAX_CHANNELS = 8
#: Accepted sample rates of the file and of the target, in Hz (telephony to high-res audio).
MIN_RATE_HZ = 1_000
MAX_RATE_HZ = 384_000
#: Largest up/down factor of the polyphase resampler; ratios needing more are approximated.
MAX_RESAMPLE_FACTOR = 1000

#: Sample formats: name -> bits of the signed integer (None: 32-bit float, full scale +-1.0).
#: "int24" is 24-bit data right-aligned in a 32-bit word, as SAI DS=24 delivers it.
FORMATS: dict[str, int | None] = {
    "int8": 8, "int10": 10, "int16": 16, "int20": 20, "int24": 24, "int32": 32,
    "float32": None,
}
#: SAI_xCR1.DS code -> sample format (RM0433 51.6: 010 = 8 bits ... 111 = 32 bits).
DS_FORMATS = {2: "int8", 3: "int10", 4: "int16", 5: "int20", 6: "int24", 7: "int32"}


class AudioError(Exception):
    """An audio file that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class Clip:
    """A decoded clip, converted for the firmware."""

    path: str
    samples: np.ndarray        # mono, `rate` Hz; int16 / int32 (intN) / float32 by format
    rate: int                  # Hz, the rate the samples are meant to be played at
    sample_format: str
    source_rate: int           # Hz, of the file
    source_channels: int
    source_format: str         # libsndfile's name, e.g. "WAV", "FLAC", "OGG"
    resample_up: int
    resample_down: int
    rate_error_ppm: float      # (source * up / down - rate) / rate: 0 unless approximated
    clipped: int               # samples that exceeded full scale after mixing and resampling
    peak: float                # largest |sample| before conversion, in full-scale units

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate

    @property
    def peak_dbfs(self) -> float | None:
        """Peak level in dBFS; None for a silent clip (-inf is not a JSON value)."""
        return 20 * float(np.log10(self.peak)) if self.peak > 0 else None

    def summary(self) -> dict:
        """Facts for the JSON report."""
        return {"path": self.path, "rate_hz": self.rate, "format": self.sample_format,
                "samples": len(self.samples), "duration_s": self.duration_s,
                "source_rate_hz": self.source_rate, "source_channels": self.source_channels,
                "source_format": self.source_format,
                "resample": f"{self.resample_up}/{self.resample_down}",
                "rate_error_ppm": self.rate_error_ppm, "clipped_samples": self.clipped,
                "peak_dbfs": self.peak_dbfs}


def format_for_data_size(ds_code: int) -> str:
    """Sample format of a SAI_xCR1.DS code."""
    try:
        return DS_FORMATS[ds_code]
    except KeyError:
        raise AudioError(f"SAI data size code DS={ds_code} is reserved (RM0433 51.6)") from None


def load_clip(path: str | Path, target_rate: int, sample_format: str = "int16") -> Clip:
    """Decode ``path`` and convert it to mono ``sample_format`` at ``target_rate`` Hz."""
    _check_target(target_rate, sample_format)
    return AudioSource.open(path).render(target_rate, sample_format)


@dataclass(frozen=True)
class AudioSource:
    """A decoded, validated file as mono float32 at its own rate, rendered on demand.

    The simulator opens the file before the run (so a bad file fails at once, exit 2) and
    renders it when the firmware enables the SAI, at the frame rate and data size the firmware
    actually programmed (see :meth:`sai_factory`)."""

    path: str
    mono: np.ndarray           # float32, full scale +-1.0, mean of the channels
    rate: int
    channels: int
    format: str

    @classmethod
    def open(cls, path: str | Path) -> AudioSource:
        import soundfile as sf

        path = Path(path)
        name = _shown(path)
        if not path.exists():
            raise AudioError(f"audio file {name} does not exist")
        if not path.is_file():
            raise AudioError(f"audio file {name} is not a regular file")
        if path.stat().st_size == 0:
            raise AudioError(f"audio file {name} is empty (0 bytes)")
        try:
            info = sf.info(str(path))
        except Exception as exc:  # noqa: BLE001 - libsndfile/soundfile raise several kinds
            raise AudioError(f"{name} is not a readable audio file (WAV/FLAC/OGG): "
                             f"{_first_line(exc)}") from None
        if info.channels < 1 or info.channels > MAX_CHANNELS:
            raise AudioError(f"{name} has {info.channels} channels; at most {MAX_CHANNELS} "
                             "are accepted")
        if not MIN_RATE_HZ <= info.samplerate <= MAX_RATE_HZ:
            raise AudioError(f"{name} has a sample rate of {info.samplerate} Hz, outside "
                             f"{MIN_RATE_HZ}..{MAX_RATE_HZ} Hz")
        if info.frames == 0:
            raise AudioError(f"{name} holds no audio samples")
        if info.frames > MAX_SECONDS * info.samplerate:
            raise AudioError(f"{name} lasts {info.frames / info.samplerate / 60:.1f} min; "
                             f"the limit is {MAX_SECONDS // 60} min")
        if info.format in ("WAV", "WAVEX"):
            short = _wav_data_shortfall(path)
            if short:
                raise AudioError(f"{name} is truncated: its data chunk promises {short[0]} "
                                 f"bytes, the file holds {short[1]}")
        limit = min(info.frames, MAX_SECONDS * info.samplerate, MAX_MONO_SAMPLES)
        try:
            mono, rate = _read_mono(path, info.channels, limit, name)
        except AudioError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise AudioError(f"{name} is corrupt: {_first_line(exc)}") from None
        if len(mono) == 0:
            raise AudioError(f"{name} holds no audio samples (its data chunk is empty or "
                             "truncated)")
        if info.frames > 0 and len(mono) < info.frames:
            raise AudioError(f"{name} is truncated: the header promises {info.frames} "
                             f"frames, the file holds {len(mono)}")
        return cls(str(path), mono, int(rate), int(info.channels), str(info.format))

    def render(self, target_rate: int, sample_format: str = "int16") -> Clip:
        """Resample to ``target_rate`` Hz and convert to ``sample_format``."""
        _check_target(target_rate, sample_format)
        ratio = Fraction(target_rate, self.rate)
        if ratio.numerator > MAX_RESAMPLE_FACTOR or ratio.denominator > MAX_RESAMPLE_FACTOR:
            ratio = ratio.limit_denominator(MAX_RESAMPLE_FACTOR)
        up, down = ratio.numerator, ratio.denominator
        x = self.mono.astype(np.float64)
        if up != down:
            x = _resample(x, up, down)
        error_ppm = (self.rate * up / down - target_rate) / target_rate * 1e6
        samples, clipped, peak = convert(x, sample_format)
        return Clip(path=self.path, samples=samples, rate=int(target_rate),
                    sample_format=sample_format, source_rate=self.rate,
                    source_channels=self.channels, source_format=self.format,
                    resample_up=up, resample_down=down, rate_error_ppm=error_ppm,
                    clipped=clipped, peak=peak)

    def sai_factory(self, rendered: list[Clip] | None = None):
        """A callable for ``SAIBlock.attach_source_factory``: (frame rate Hz, data bits) ->
        samples. Each clip it renders is appended to ``rendered`` (for the run report)."""

        def factory(fs: float, bits: int) -> np.ndarray:
            fmt = {8: "int8", 10: "int10", 16: "int16", 20: "int20", 24: "int24",
                   32: "int32"}[bits]
            clip = self.render(round(fs), fmt)
            if rendered is not None:
                rendered.append(clip)
            return clip.samples

        return factory


def _check_target(target_rate: int, sample_format: str) -> None:
    if sample_format not in FORMATS:
        raise AudioError(f"unknown sample format {sample_format!r} "
                         f"(known: {', '.join(FORMATS)})")
    if not MIN_RATE_HZ <= target_rate <= MAX_RATE_HZ:
        raise AudioError(f"target sample rate {target_rate} Hz is outside "
                         f"{MIN_RATE_HZ}..{MAX_RATE_HZ} Hz")


def convert(x: np.ndarray, sample_format: str) -> tuple[np.ndarray, int, float]:
    """Full-scale float samples -> ``sample_format``: (samples, clipped count, peak |x|).

    Integers are scaled by 2**(bits-1) and saturate at the format's range (a sample is counted
    as clipped when it had to saturate); float32 is clipped to [-1, 1]."""
    bits = FORMATS[sample_format]
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if bits is None:
        clipped = int(np.count_nonzero(np.abs(x) > 1.0))
        return np.clip(x, -1.0, 1.0).astype(np.float32), clipped, peak
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    scaled = np.rint(np.asarray(x, dtype=np.float64) * (1 << (bits - 1)))
    clipped = int(np.count_nonzero((scaled < lo) | (scaled > hi)))
    dtype = np.int8 if bits == 8 else np.int16 if bits <= 16 else np.int32
    return np.clip(scaled, lo, hi).astype(dtype), clipped, peak


def _wav_data_shortfall(path: Path) -> tuple[int, int] | None:
    """(promised, present) bytes of a RIFF/WAVE data chunk cut short, else None.

    libsndfile quietly shortens a truncated WAV to the frames present; a recording cut in
    half is better refused than aligned. Streaming writers put 0 or 0xFFFFFFFF in the size:
    those are not judged."""
    import struct

    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            cid, clen = struct.unpack("<4sI", f.read(8))
            if cid == b"data":
                if clen in (0, 0xFFFFFFFF):
                    return None
                present = size - (pos + 8)
                return (clen, present) if present < clen else None
            pos += 8 + clen + (clen & 1)
    return None


def _read_mono(path: Path, channels: int, limit: int, name: str) -> tuple[np.ndarray, int]:
    """Decode ``path`` block by block into mono float32 (the mean of the channels), reading
    at most ``limit`` frames: host memory follows the data present, not the header's claim."""
    import soundfile as sf

    blocks: list[np.ndarray] = []
    total = 0
    with sf.SoundFile(str(path)) as f:
        rate = f.samplerate
        while total <= limit:
            data = f.read(min(READ_BLOCK_FRAMES, limit + 1 - total), dtype="float32",
                          always_2d=True)
            if len(data) == 0:
                break
            if not np.isfinite(data).all():
                raise AudioError(f"{name} contains NaN or infinite samples")
            blocks.append(data.mean(axis=1, dtype=np.float32))  # average: summing could clip
            total += len(data)
    if total > limit:
        raise AudioError(f"{name} holds more than {limit:,} frames; the limit is "
                         f"{MAX_SECONDS // 60} min or {MAX_MONO_SAMPLES:,} samples")
    mono = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    return mono.astype(np.float32, copy=False), int(rate)


def _shown(path: Path) -> str:
    """A file name for a one-line message (control characters escaped)."""
    text = str(path)
    return repr(text) if any(ord(c) < 32 or c == "\x7f" for c in text) else text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


@dataclass
class AudioAttachment:
    """An audio file wired to an SAI block for one run, and what happened to it."""

    source: AudioSource
    block: Any                          # peripherals.sai.SAIBlock
    rendered: list[Clip]
    end_cycle: int | None = None

    def report(self) -> dict:
        """Facts for the JSON report: the clip as rendered and what the firmware received."""
        out: dict = {"path": self.source.path, "source_rate_hz": self.source.rate,
                     "source_channels": self.source.channels,
                     "source_duration_s": len(self.source.mono) / self.source.rate,
                     "sai": f"{self.block.sai.name}_{self.block.port}",
                     "delivered": bool(self.rendered)}
        if self.rendered:
            clip = self.rendered[-1]
            out.update(clip.summary())
            out.update({"samples_delivered": int(self.block.source_pos),
                        "overrun_words": int(self.block.overruns),
                        "end_cycle": self.end_cycle})
        else:
            out["note"] = ("the firmware never enabled the SAI block as a receiver with a "
                           "frame clock; no audio was delivered")
        return out


def attach_audio(peripherals: dict, source: AudioSource, sai: str = "SAI1", block: str = "A",
                 on_end: Callable[[int], None] | None = None) -> AudioAttachment:
    """Feed ``source`` to ``sai`` block ``block`` of a machine's ``peripherals``.

    The clip is rendered when the firmware enables the block (at its frame rate and data
    size). ``on_end(cycle)`` runs at the cycle of the last frame, e.g. to send an end-of-audio
    line to the firmware over the USART."""
    periph = peripherals.get(sai)
    from peripherals.sai import SAI
    if not isinstance(periph, SAI):
        raise AudioError(f"the platform has no SAI model for {sai} (set model = \"sai\" in its "
                         "[[peripheral]] entry)")
    blk = periph.blocks[block]
    att = AudioAttachment(source, blk, [])
    blk.attach_source_factory(source.sai_factory(att.rendered))

    def ended(cycle: int) -> None:
        att.end_cycle = cycle
        if on_end is not None:
            on_end(cycle)

    blk.end_listeners.append(ended)
    return att


# --- record-then-process: the whole clip in memory before the firmware starts --------------
BUFFER_SYMBOL = "audio_buffer_storage"       # firmware/common/audio_buffer.h
RATE_SYMBOL = "audio_buffer_rate_hz"
BUFFER_MAGIC = 0x42445541                    # "AUDB"
BUFFER_HEADER = 16


@dataclass
class BufferedAudio:
    """A clip written into the firmware's audio buffer before boot (--audio-mode buffered)."""

    source: AudioSource
    clip: Clip
    address: int
    capacity: int

    def report(self) -> dict:
        out = {"mode": "buffered", "path": self.source.path, "delivered": True,
               "buffer_address": self.address, "capacity_samples": self.capacity,
               "samples_delivered": len(self.clip.samples), "overrun_words": 0}
        out.update(self.clip.summary())
        return out


def place_in_buffer(machine: Any, source: AudioSource) -> BufferedAudio:
    """Render ``source`` at the rate the firmware asks for (symbol audio_buffer_rate_hz,
    16 kHz if absent), mono int16, and write header + samples into its audio_buffer_storage
    (firmware/common/audio_buffer.h), as a recorder would have before the firmware starts."""
    import struct

    fw = machine.fw
    sym = fw.symbol(BUFFER_SYMBOL)
    if sym is None or sym.size <= BUFFER_HEADER:
        raise AudioError(f"--audio-mode buffered: the firmware has no {BUFFER_SYMBOL} "
                         "(declare it with AUDIO_BUFFER_DEFINE, firmware/common/audio_buffer.h)")
    rate = 16000
    rs = fw.symbol(RATE_SYMBOL)
    if rs is not None:
        rate = struct.unpack("<I", bytes(machine.uc.mem_read(rs.addr, 4)))[0] or 16000
    capacity = (sym.size - BUFFER_HEADER) // 2
    clip = source.render(rate, "int16")
    n = len(clip.samples)
    if n > capacity:
        raise AudioError(f"--audio-mode buffered: the clip has {n} samples at {rate} Hz "
                         f"({n / rate:.1f} s) but the firmware's buffer holds {capacity} "
                         f"({capacity / rate:.1f} s)")
    region = machine.platform.region_at(sym.addr, sym.size)
    if region is None:
        raise AudioError(f"{BUFFER_SYMBOL} at {sym.addr:#010x} is outside the memory map")
    mem = machine.memory[region.name]
    off = sym.addr - region.base
    header = struct.pack("<4I", BUFFER_MAGIC, rate, n, capacity)
    mem[off:off + BUFFER_HEADER] = np.frombuffer(header, np.uint8)
    data = np.asarray(clip.samples, dtype="<i2").tobytes()
    mem[off + BUFFER_HEADER:off + BUFFER_HEADER + len(data)] = np.frombuffer(data, np.uint8)
    return BufferedAudio(source, clip, sym.addr, capacity)


def _resample(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """Polyphase FIR (Kaiser window, scipy's default): band-limits to the lower Nyquist.
    Cached on disk by the samples' hash (simulator/cache.py): importing scipy.signal and
    filtering a long clip costs more host time than a short simulation."""
    import hashlib

    from . import cache

    def compute() -> np.ndarray:
        from scipy.signal import resample_poly
        return resample_poly(x, up, down)

    digest = hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()
    entry = cache.key(digest, len(x), up, down, cache.dist_version("scipy"))
    return cache.cached("resample", entry, compute)
