"""The audio feed: a clip into the firmware's microphone input.

``stream``: the clip arrives through an SAI block + DMA in simulated real time
(simulator.audio.attach_audio). ``buffered``: the whole clip is written into the firmware's
audio buffer before it starts (record-then-process devices, firmware/common/audio_buffer.h).
When the stream ends, an optional end marker (bytes, or a function of the samples delivered,
e.g. the aligner's "S <total>" line) is sent on the console USART.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import Attachment


class AudioFeed(Attachment):
    def __init__(self, source, mode: str = "stream", sai: str = "SAI1", block: str = "A",
                 end_marker: bytes | Callable[[int], bytes] | None = None) -> None:
        self.source = source                    # simulator.audio.AudioSource
        self.mode = mode
        self.sai = sai
        self.block = block
        self.end_marker = end_marker
        self.audio = None                       # AudioAttachment | BufferedAudio once attached

    def attach(self, machine) -> None:
        from ..audio import attach_audio, place_in_buffer

        if self.mode == "buffered":
            self.audio = place_in_buffer(machine, self.source)
        else:
            self.audio = attach_audio(machine.peripherals, self.source, self.sai, self.block,
                                      lambda cycle: self._ended(machine, cycle))
        machine.audio = self.audio

    def _ended(self, machine, cycle: int) -> None:
        machine.log(f"audio ended at cycle {cycle}")
        marker = self.end_marker
        if callable(marker):
            marker = marker(int(self.audio.block.source_pos))
        if marker:
            machine.console_usart_feed(marker)
