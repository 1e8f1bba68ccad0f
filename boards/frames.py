"""The serial framing of the network on a board: one definition for the host command and the testbenches.

Host to board::

    image     0xA5, 784 pixel bytes (row-major, 0..255), checksum
    self-test 0xC3

Board to host (:data:`REPLY_BYTES` bytes)::

    0x5A, status, class, 10 scores (3 bytes each, little-endian), clocks (4 bytes, little-endian), checksum

The checksum of a frame is the sum of the bytes after its start byte, modulo 256. ``status`` is
:data:`OK` or an error (:data:`STATUS`); an error reply carries class 0 and zero scores. For the
self-test the class byte holds the number of images the board ran, the first two score bytes the
number it classified correctly (little-endian) and ``clocks`` the clocks they took.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mtjsc.config import CLASSES, PIXELS
from mtjsc.errors import MtjscError

IMAGE_START, SELFTEST_START, REPLY_START = 0xA5, 0xC3, 0x5A
OK, BAD_CHECKSUM, TIMEOUT, GARBAGE = 0, 1, 2, 3
#: what each status byte means
STATUS = {OK: "ok", BAD_CHECKSUM: "bad checksum", TIMEOUT: "short frame (timeout)", GARBAGE: "garbage before a frame"}
SCORE_BYTES, CLOCK_BYTES = 3, 4
REPLY_BYTES = 1 + 1 + 1 + CLASSES * SCORE_BYTES + CLOCK_BYTES + 1
IMAGE_BYTES = 1 + PIXELS + 1


def checksum(body) -> int:
    return int(sum(int(b) for b in body)) & 0xFF


def image_frame(pixels) -> bytes:
    """The frame of one image: ``pixels`` uint8 [784] (or [28, 28])."""
    px = np.asarray(pixels)
    if px.dtype != np.uint8 or px.size != PIXELS:
        raise MtjscError(f"an image frame takes {PIXELS} uint8 pixels, got {px.size} of {px.dtype}")
    body = px.ravel().tobytes()
    return bytes([IMAGE_START]) + body + bytes([checksum(body)])


@dataclass(frozen=True)
class Reply:
    """One parsed reply."""

    status: int
    cls: int
    scores: tuple
    clocks: int

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def status_text(self) -> str:
        return STATUS.get(self.status, f"unknown status {self.status}")

    @property
    def selftest_counts(self) -> tuple:
        """(images run, images correct) of a self-test reply."""
        return self.cls, self.scores[0] & 0xFFFF

    def to_bytes(self) -> bytes:
        body = bytes([self.status, self.cls]) + b"".join(int(s).to_bytes(SCORE_BYTES, "little") for s in self.scores) \
            + int(self.clocks).to_bytes(CLOCK_BYTES, "little")
        return bytes([REPLY_START]) + body + bytes([checksum(body)])


def reply_for(status: int, cls: int = 0, scores=(0,) * CLASSES, clocks: int = 0) -> Reply:
    scores = tuple(int(s) for s in scores)
    if status not in STATUS:
        raise MtjscError(f"status {status} is not one of {sorted(STATUS)}")
    if len(scores) != CLASSES or not all(0 <= s < 1 << (8 * SCORE_BYTES) for s in scores):
        raise MtjscError(f"a reply carries {CLASSES} scores of at most {8 * SCORE_BYTES} bits, got {scores}")
    return Reply(status, int(cls), scores, int(clocks))


def parse_reply(data: bytes) -> Reply:
    """A reply from its :data:`REPLY_BYTES` bytes; a clear error for anything else."""
    data = bytes(data)
    if len(data) != REPLY_BYTES:
        raise MtjscError(f"a reply is {REPLY_BYTES} bytes, got {len(data)}: {data[:8].hex()}...")
    if data[0] != REPLY_START:
        raise MtjscError(f"a reply starts with 0x{REPLY_START:02X}, this one with 0x{data[0]:02X}")
    body = data[1:-1]
    if checksum(body) != data[-1]:
        raise MtjscError(f"reply checksum 0x{data[-1]:02X} but its bytes sum to 0x{checksum(body):02X}: "
                         f"the link corrupted it (a lower --baud helps)")
    status, cls = body[0], body[1]
    if status not in STATUS:
        raise MtjscError(f"reply status {status} is not one of {sorted(STATUS)}")
    s = body[2:2 + CLASSES * SCORE_BYTES]
    scores = tuple(int.from_bytes(s[k * SCORE_BYTES:(k + 1) * SCORE_BYTES], "little") for k in range(CLASSES))
    clocks = int.from_bytes(body[2 + CLASSES * SCORE_BYTES:], "little")
    if status == OK and cls >= CLASSES:
        raise MtjscError(f"reply class {cls} is not a digit 0..9")
    return Reply(status, cls, scores, clocks)


def link_seconds_per_image(baud: int) -> float:
    """Seconds the serial link needs per image at ``baud`` (8N1: 10 bits a byte, frame and reply)."""
    if baud <= 0:
        raise MtjscError(f"baud rate {baud} must be positive")
    return (IMAGE_BYTES + REPLY_BYTES) * 10 / baud
