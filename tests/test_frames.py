"""The board's serial framing (boards/frames.py), shared by the host command and the testbenches."""

from __future__ import annotations

import numpy as np
import pytest

from mtjsc.boards import frames
from mtjsc.errors import MtjscError


def test_image_frame_layout_and_checksum():
    px = (np.arange(784) % 256).astype(np.uint8)
    f = frames.image_frame(px.reshape(28, 28))
    assert len(f) == frames.IMAGE_BYTES == 786 and f[0] == 0xA5 and f[1:785] == px.tobytes()
    assert f[-1] == int(px.astype(np.int64).sum()) % 256
    with pytest.raises(MtjscError, match="784 uint8 pixels, got 783"):
        frames.image_frame(px[:783])
    with pytest.raises(MtjscError, match="float64"):
        frames.image_frame(px / 255.0)


@pytest.mark.parametrize("status", sorted(frames.STATUS))
def test_replies_round_trip(status):
    r = frames.reply_for(status, 7 if status == frames.OK else 0, [0, 1, 255, 256, 65535, 65536, 1 << 20, 3, 4, 5]
                         if status == frames.OK else (0,) * 10, clocks=123456789)
    data = r.to_bytes()
    assert len(data) == frames.REPLY_BYTES == 38 and data[0] == 0x5A
    assert frames.parse_reply(data) == r
    assert r.ok == (status == frames.OK) and r.status_text == frames.STATUS[status]


def test_bad_replies_say_what_is_wrong():
    good = frames.reply_for(frames.OK, 3, range(10), 99).to_bytes()
    with pytest.raises(MtjscError, match="a reply is 38 bytes, got 37"):
        frames.parse_reply(good[:-1])
    with pytest.raises(MtjscError, match="starts with 0x5A, this one with 0x00"):
        frames.parse_reply(b"\x00" + good[1:])
    bad = bytearray(good)
    bad[5] ^= 1
    with pytest.raises(MtjscError, match=r"checksum 0x.. but its bytes sum to 0x..: the link corrupted it \(a lower --baud helps\)"):
        frames.parse_reply(bytes(bad))
    body = bytes([9, 0]) + bytes(34)
    with pytest.raises(MtjscError, match="status 9"):
        frames.parse_reply(b"\x5a" + body + bytes([frames.checksum(body)]))
    with pytest.raises(MtjscError, match="10 scores of at most 24 bits"):
        frames.reply_for(frames.OK, 1, [1 << 24] + [0] * 9)


def test_link_time_at_the_two_baud_rates():
    """786 + 38 bytes of 10 bits: 71.5 ms at 115,200 baud, 2.75 ms at 3 Mbaud."""
    assert frames.link_seconds_per_image(115200) == pytest.approx(824 * 10 / 115200)
    assert frames.link_seconds_per_image(3_000_000) == pytest.approx(2.7467e-3, rel=1e-3)
    with pytest.raises(MtjscError, match="baud rate 0"):
        frames.link_seconds_per_image(0)
