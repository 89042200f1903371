"""--audio-mode buffered: the clip is in the firmware's flash buffer before it starts."""

from __future__ import annotations

import re
import zlib

import numpy as np
import soundfile as sf

from simulator.attachments.audio_feed import AudioFeed
from simulator.audio import AudioSource
from simulator.cli import main
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform


def _tone(path, seconds, rate=22050):
    t = np.arange(int(seconds * rate)) / rate
    sf.write(str(path), 0.3 * np.sin(2 * np.pi * 440 * t), rate, subtype="PCM_16")


def test_firmware_sees_exactly_the_rendered_clip(firmware_build, tmp_path):
    wav = tmp_path / "c.wav"
    _tone(wav, 1.2)
    m = Machine(load_firmware(firmware_build / "audio_buffered.elf"), load_platform(),
                RunConfig(), [AudioFeed(AudioSource.open(wav), "buffered")])
    r = m.run()
    assert r.exit_reason == "exit" and r.exit_code == 0
    samples = np.asarray(m.audio.clip.samples, dtype=np.int16)
    assert len(samples) == round(1.2 * 16000)
    out = r.console["semihosting"].decode()
    n, total, crc = map(int, re.search(r"T (\d+) (-?\d+) (\d+)", out).groups())
    assert n == len(samples)
    assert total == int(samples.astype(np.int64).sum())
    assert crc == zlib.crc32(samples.astype("<i2").tobytes())
    assert r.sleep_cycles == 0                        # processing time is the whole run


def test_clip_longer_than_the_buffer_is_refused(firmware_build, tmp_path, capsys):
    wav = tmp_path / "long.wav"
    _tone(wav, 31.0, rate=8000)                       # the buffer holds 30 s at 16 kHz
    code = main([str(firmware_build / "audio_buffered.elf"), "--audio", str(wav),
                 "--audio-mode", "buffered", "-q"])
    assert code == 2
    assert "buffer holds" in capsys.readouterr().err


def test_firmware_without_a_buffer_is_usage_error(firmware_build, tmp_path, capsys):
    wav = tmp_path / "c.wav"
    _tone(wav, 0.2)
    assert main([str(firmware_build / "hello.elf"), "--audio", str(wav),
                 "--audio-mode", "buffered", "-q"]) == 2
    assert "AUDIO_BUFFER_DEFINE" in capsys.readouterr().err
