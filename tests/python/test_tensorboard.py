"""tb/ event files decoded by an independent reader (TFRecord framing, CRC-32C and the protobuf
wire format written out here, not TensorBoard's code): usage: test_tensorboard.py PHENOM SOURCE."""
import glob
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

phenom = sys.argv[1]

SPEC = """name: tb
seed: 0
device: cpu
task: {type: modular_arithmetic, modulus: 11}
model: {type: mlp, width: 16}
optimizer: {type: adamw, lr: 0.01, weight_decay: 0.1}
train: {steps: 40, eval_every: 5, checkpoint_every: 10}
probes: [{type: weight_norm}]
"""


def check(condition, message):
    if not condition:
        sys.exit("FAIL: " + message)


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    data = open(path, "rb").read()
    at, out = 0, []
    while at < len(data):
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        check(header_crc == masked(crc32c(header)), "length CRC at byte %d" % at)
        record = data[at + 12:at + 12 + length]
        (record_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        check(record_crc == masked(crc32c(record)), "record CRC at byte %d" % at)
        out.append(record)
        at += 16 + length
    return out


def varint(data, at):
    value, shift = 0, 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        shift += 7
        if not byte & 0x80:
            return value, at


def fields(data):
    """field number -> list of values (int for varints, bytes for length-delimited and fixed)."""
    out, at = {}, 0
    while at < len(data):
        key, at = varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = varint(data, at)
        elif wire == 1:
            value, at = data[at:at + 8], at + 8
        elif wire == 5:
            value, at = data[at:at + 4], at + 4
        elif wire == 2:
            length, at = varint(data, at)
            value, at = data[at:at + length], at + length
        else:
            sys.exit("FAIL: wire type %d" % wire)
        out.setdefault(number, []).append(value)
    return out


def events(run_dir):
    files = glob.glob(os.path.join(run_dir, "tb", "events.out.tfevents.*"))
    check(len(files) == 1, "one event file in %s/tb, found %s" % (run_dir, files))
    out = []
    for record in records(files[0]):
        e = fields(record)
        step = e.get(2, [0])[0]
        wall = struct.unpack("<d", e[1][0])[0]
        values = [fields(v) for v in fields(e[5][0]).get(1, [])] if 5 in e else []
        out.append({"step": step, "wall": wall, "version": e.get(3, [b""])[0], "values": values})
    return out


def plugin(value):
    if 9 not in value:
        return None, None
    data = fields(fields(value[9][0])[1][0])
    return data[1][0].decode(), data.get(2, [b""])[0]


def run(args, cwd, expect=0):
    done = subprocess.run([phenom, *args], cwd=cwd, capture_output=True, text=True)
    check(done.returncode == expect, " ".join(args) + ": " + done.stdout + done.stderr)


def scalars(evs):
    """step -> {tag: value} from the scalar summaries."""
    out = {}
    for e in evs:
        for v in e["values"]:
            if 2 in v and 9 not in v:
                out.setdefault(e["step"], {})[v[1][0].decode()] = struct.unpack("<f", v[2][0])[0]
    return out


def check_scalars_match_metrics(run_dir, evs):
    rows = [json.loads(line) for line in open(os.path.join(run_dir, "metrics.jsonl"))]
    got = scalars(evs)
    check(sorted(got) == [r["step"] for r in rows], "one scalar event per metric row: %s" % sorted(got))
    for r in rows:
        for k, v in r.items():
            if k != "step":
                check(got[r["step"]][k] == np.float32(v), "%s at step %d" % (k, r["step"]))
    counts = {}
    for e in evs:
        if any(2 in v and 9 not in v for v in e["values"]):
            counts[e["step"]] = counts.get(e["step"], 0) + 1
    check(all(c == 1 for c in counts.values()), "each step's scalars once: %s" % counts)


with tempfile.TemporaryDirectory() as tmp:
    open(os.path.join(tmp, "spec.yaml"), "w").write(SPEC)
    run(["run", "spec.yaml", "optimizer.lr=0.02", "--out", "one", "--threads", "1", "--quiet"], tmp)
    evs = events(os.path.join(tmp, "one"))
    check(evs[0]["version"] == b"brain.Event:2", "the first event is the file version")
    check_scalars_match_metrics(os.path.join(tmp, "one"), evs)
    by_plugin = {}
    for e in evs:
        for v in e["values"]:
            name, content = plugin(v)
            if name:
                by_plugin.setdefault(name, []).append((v, content))
    text = by_plugin["text"][0][0]
    check(text[1][0] == b"spec", "the spec's text tag")
    tensor = fields(text[8][0])
    check(tensor[1][0] == 7 and b"name: tb" in tensor[8][0], "the resolved spec as a string tensor")
    start = [fields(c) for _, c in by_plugin["hparams"] if 3 in fields(c)]
    end = [fields(c) for _, c in by_plugin["hparams"] if 4 in fields(c)]
    check(len(start) == 1 and len(end) == 1, "one session start and one end")
    hp = {}
    for entry in fields(start[0][3][0])[1]:
        entry = fields(entry)
        value = fields(entry[2][0])
        hp[entry[1][0].decode()] = struct.unpack("<d", value[2][0])[0] if 2 in value else value[3][0].decode()
    check(hp == {"optimizer.lr": 0.02, "seed": 0.0}, "hparams from the command line and the seed: %s" % hp)
    check(fields(end[0][4][0])[1][0] == 1, "the session ends with success")
    pngs = sorted(glob.glob(os.path.join(tmp, "one", "plots", "*.png")))
    images = {v[1][0].decode(): fields(v[4][0]) for e in evs for v in e["values"] if 4 in v}
    check(len(pngs) > 0 and len(images) == len(pngs), "one image per figure: %s vs %s" % (list(images), pngs))
    for png in pngs:
        image = images["plots/" + os.path.basename(png)[:-4]]
        data = open(png, "rb").read()
        width, height = struct.unpack(">II", data[16:24])
        check(image[4][0] == data and image[1][0] == height and image[2][0] == width, "image " + png)

    # Interrupted (Ctrl-C) and resumed: every step once, equal to metrics.jsonl.
    open(os.path.join(tmp, "long.yaml"), "w").write(SPEC.replace("steps: 40", "steps: 3000").replace(
        "checkpoint_every: 10", "checkpoint_every: 500"))
    args = ["run", "long.yaml", "--out", "resumed", "--threads", "1", "--no-plot", "--quiet"]
    process = subprocess.Popen([phenom, *args], cwd=tmp)
    metrics = os.path.join(tmp, "resumed", "metrics.jsonl")
    deadline = time.time() + 60
    while time.time() < deadline and (not os.path.exists(metrics) or sum(1 for _ in open(metrics)) < 150):
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    check(process.wait() == 130, "the interrupted run exits 130 (make it longer if it finished)")
    run(args, tmp)
    resumed = events(os.path.join(tmp, "resumed"))
    check_scalars_match_metrics(os.path.join(tmp, "resumed"), resumed)
    check(sum(1 for e in resumed for v in e["values"] if plugin(v)[0] == "text") == 1, "the spec once")

    # A sweep's runs carry their swept values as hparams.
    run(["sweep", "spec.yaml", "seed=0,1", "--root", "sw", "--threads", "1", "--quiet"], tmp)
    seeds = set()
    for run_dir in glob.glob(os.path.join(tmp, "sw", "tb", "*")):
        if not os.path.isdir(os.path.join(run_dir, "tb")):
            continue
        for e in events(run_dir):
            for v in e["values"]:
                name, content = plugin(v)
                if name == "hparams" and 3 in fields(content):
                    for entry in fields(fields(content)[3][0])[1]:
                        entry = fields(entry)
                        if entry[1][0] == b"seed":
                            seeds.add(struct.unpack("<d", fields(entry[2][0])[2][0])[0])
    check(seeds == {0.0, 1.0}, "the sweep's seeds as hparams: %s" % seeds)
    print("ok: tb/ decoded (CRCs, steps, tags, values, text, hparams, images, resume, sweep)")
