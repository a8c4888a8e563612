#!/usr/bin/env python3
"""Check mtaf-swift's TensorBoard event files with the real `tensorboard` package.

    /tmp/venv/bin/pip install tensorboard            # once, outside the repository
    /tmp/venv/bin/python tools/check_tensorboard.py SNAPSHOT_DIR [--image-every 100]

SNAPSHOT_DIR is a run's TRAIN.SNAPSHOT_DIR: its `tensorboard/` folder holds the event files
(written when LOG.TENSORBOARD is True) and `losses.jsonl` the loss log of the same run. The check:

1. every record's framing, independently of our Swift code: uint64 length, masked CRC32C of the
   length, data, masked CRC32C of the data (tensorboard's own crc32c), and the first record of
   each file is an Event with file_version "brain.Event:2" (parsed with tensorboard's protobufs);
2. tensorboard's EventAccumulator (what `tensorboard --logdir` uses to load runs) sees, for every
   loss in losses.jsonl, the scalar tag `data/<loss>` at every logged iteration, with the logged
   value (float32);
3. the image tags `Image - K`, `Prediction - K`, `Entropy - K` exist for K = S and for at least
   one target `T <name>`, at exactly the steps i with i % IMAGE_EVERY == IMAGE_EVERY - 1, and
   every image decodes as a PNG of the size its event states.

A developer tool, run by hand (see tools/README.md), never in CI. Exits non-zero on failure.
"""
import argparse
import glob
import io
import json
import os
import struct
import sys
import zlib

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c


def fail(message):
    sys.exit(f"FAIL: {message}")


def check_framing(path):
    """Reads every record with our own framing check; returns the parsed events."""
    data = open(path, "rb").read()
    events, at = [], 0
    while at < len(data):
        if at + 12 > len(data):
            fail(f"{path}: truncated header at byte {at}")
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        if length_crc != masked_crc32c(header):
            fail(f"{path}: bad length CRC at byte {at}")
        body = data[at + 12:at + 12 + length]
        if len(body) != length or at + 16 + length > len(data):
            fail(f"{path}: truncated record at byte {at}")
        (data_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        if data_crc != masked_crc32c(body):
            fail(f"{path}: bad data CRC at byte {at}")
        event = event_pb2.Event()
        event.ParseFromString(body)
        events.append(event)
        at += 16 + length
    if not events or events[0].file_version != "brain.Event:2":
        fail(f"{path}: the first record is not file_version brain.Event:2")
    return events


def png_size(blob):
    """(width, height) of a PNG, after checking its signature and every chunk CRC."""
    if blob[:8] != b"\x89PNG\r\n\x1a\n":
        fail("an image is not a PNG")
    stream, size = io.BytesIO(blob[8:]), None
    while True:
        head = stream.read(8)
        if len(head) < 8:
            fail("PNG without IEND")
        length, kind = struct.unpack(">I4s", head)
        body = stream.read(length)
        (crc,) = struct.unpack(">I", stream.read(4))
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            fail(f"PNG chunk {kind!r} has a bad CRC")
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        if kind == b"IEND":
            return size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("snapshot_dir", help="The run's TRAIN.SNAPSHOT_DIR.")
    parser.add_argument("--image-every", type=int, default=100,
                        help="The observer's image cadence (default 100).")
    args = parser.parse_args()

    logdir = os.path.join(args.snapshot_dir, "tensorboard")
    files = sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*")))
    if not files:
        fail(f"no event file in {logdir}")
    records = 0
    for path in files:
        records += len(check_framing(path))
    print(f"framing: {len(files)} file(s), {records} records, CRCs and file_version OK")

    losses = [json.loads(line) for line in open(os.path.join(args.snapshot_dir, "losses.jsonl")) if line.strip()]
    iterations = [row["iter"] for row in losses]
    names = [k for k in losses[0] if k not in ("iter", "seconds")]

    accumulator = event_accumulator.EventAccumulator(
        logdir, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    for name in names:
        tag = f"data/{name}"
        if tag not in tags["scalars"]:
            fail(f"scalar {tag} missing (scalars: {tags['scalars']})")
        scalars = accumulator.Scalars(tag)
        steps = [s.step for s in scalars]
        if steps != iterations:
            fail(f"{tag}: steps {steps[:5]}... != logged iterations {iterations[:5]}...")
        for s, row in zip(scalars, losses):
            expected = struct.unpack("<f", struct.pack("<f", float(row[name])))[0]
            if s.value != expected:
                fail(f"{tag} at step {s.step}: {s.value} != logged {row[name]}")
    print(f"scalars: {len(names)} tags x {len(iterations)} steps "
          f"({iterations[0]}..{iterations[-1]}) match losses.jsonl: {', '.join(names)}")

    expected_steps = [i for i in iterations if i % args.image_every == args.image_every - 1]
    kinds = sorted({t.split(" - ", 1)[1] for t in tags["images"] if " - " in t})
    if "S" not in kinds or not any(k.startswith("T ") for k in kinds):
        fail(f"image kinds {kinds}: wanted S and at least one target")
    count = 0
    for kind in kinds:
        for what in ("Image", "Prediction", "Entropy"):
            tag = f"{what} - {kind}"
            if tag not in tags["images"]:
                fail(f"image {tag} missing")
            images = accumulator.Images(tag)
            if [i.step for i in images] != expected_steps:
                fail(f"{tag}: steps {[i.step for i in images]} != {expected_steps}")
            for image in images:
                if png_size(image.encoded_image_string) != (image.width, image.height):
                    fail(f"{tag} at step {image.step}: PNG size differs from the event's")
                count += 1
    size = accumulator.Images(f"Image - {kinds[0]}")[0] if expected_steps else None
    print(f"images: {len(kinds)} kinds ({', '.join(kinds)}) x Image/Prediction/Entropy at steps {expected_steps}, "
          f"{count} PNGs decoded" + (f", e.g. {size.width}x{size.height}" if size else ""))
    print("OK")


if __name__ == "__main__":
    main()
