"""The host side of the network on a board: send images over the serial port, read and check the replies.

:func:`run_images` is what ``mtjsc board run`` does: for each test image it sends the frame of
:mod:`mtjsc.boards.frames`, reads the reply, and compares class and scores with the golden model's
for the same configuration and seed; then, if asked, the board's self-test.
"""

from __future__ import annotations

import time

import numpy as np

from mtjsc.boards import frames
from mtjsc.errors import MtjscError


def open_port(port: str, baud: int, timeout: float):
    """The serial port at ``baud`` (8N1, raw); a clear error when it is missing, busy or not a port."""
    import serial
    try:
        return serial.Serial(str(port), baudrate=int(baud), bytesize=8, parity="N", stopbits=1, timeout=timeout,
                             exclusive=True)
    except (serial.SerialException, OSError, ValueError) as e:
        raise MtjscError(f"--port {port}: cannot open it at {baud} baud ({e}); give the board's serial port "
                         f"(the ULX3S's FT231X is usually /dev/ttyUSB0), check its permissions and that no other "
                         f"program holds it") from None


def read_reply(ser, timeout: float) -> frames.Reply:
    """The next reply; skips bytes before a reply's start byte; errors for silence and bad replies."""
    end = time.monotonic() + timeout
    got = b""
    while len(got) < frames.REPLY_BYTES:
        left = end - time.monotonic()
        if left <= 0:
            raise MtjscError(f"the board did not answer within {timeout:g} s ({len(got)} of {frames.REPLY_BYTES} "
                             f"reply bytes): is the bitstream loaded and --baud the rate it was built for?")
        ser.timeout = left
        chunk = ser.read(frames.REPLY_BYTES - len(got))
        if not got:                                    # resynchronise on the start byte
            i = chunk.find(bytes([frames.REPLY_START]))
            chunk = chunk[i:] if i >= 0 else b""
        got += chunk
    return frames.parse_reply(got)


def classify(ser, pixels_u8, timeout: float) -> frames.Reply:
    ser.write(frames.image_frame(pixels_u8))
    ser.flush()
    return read_reply(ser, timeout)


def selftest(ser, timeout: float) -> frames.Reply:
    ser.write(bytes([frames.SELFTEST_START]))
    ser.flush()
    return read_reply(ser, timeout)


def run_images(ser, images_u8, labels, expect_scores, *, timeout: float = 5.0, progress=None,
               with_selftest: bool = False) -> dict:
    """Send every image, check every reply against ``expect_scores`` [N, 10] (the golden model's), and
    return accuracy, mismatches, images/s over the link and (``with_selftest``) the self-test's counts."""
    expect_scores = np.asarray(expect_scores, np.int64)
    expect_cls = np.argmax(expect_scores, axis=1)
    mismatches, classes = [], []
    t0 = time.monotonic()
    for u, img in enumerate(images_u8):
        r = classify(ser, img, timeout)
        if not r.ok:
            raise MtjscError(f"image {u}: the board answered {r.status_text!r}; the link dropped or changed bytes "
                             f"(a lower --baud helps)")
        classes.append(r.cls)
        if r.cls != expect_cls[u] or tuple(expect_scores[u]) != r.scores:
            mismatches.append({"image": u, "board_class": r.cls, "golden_class": int(expect_cls[u]),
                               "board_scores": list(r.scores), "golden_scores": expect_scores[u].tolist()})
        if progress:
            progress(1)
    seconds = time.monotonic() - t0
    classes = np.array(classes, np.int64)
    out = {"images": len(classes), "accuracy": float((classes == np.asarray(labels)[:len(classes)]).mean())
           if len(classes) else 0.0,
           "golden_accuracy": float((expect_cls[:len(classes)] == np.asarray(labels)[:len(classes)]).mean())
           if len(classes) else 0.0,
           "mismatches": mismatches, "seconds": seconds,
           "images_per_s_link": len(classes) / seconds if seconds > 0 else 0.0}
    if with_selftest:
        r = selftest(ser, timeout)
        ran, correct = r.selftest_counts
        out["selftest"] = {"status": r.status_text, "images": ran, "correct": correct, "clocks": r.clocks}
    return out
