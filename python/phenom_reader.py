"""Read phenom's run, sweep and protocol directories from Python (numpy, json and yaml; pandas
when installed).

    import phenom_reader as pr
    run = pr.open_dir("runs/grokking-mlp/7ee3e3c2")
    df = run.metrics()                      # a DataFrame (rows as dicts without pandas)
    steps, acc = run.series("test/acc")     # numpy arrays
    w = run.weights()["readout.weight"]     # numpy, at the last checkpoint (or step=N)

A sweep directory opens as a Sweep (its runs, its table and summary); a protocol directory
(lottery tickets, linear mode connectivity) as a Protocol (its runs by name and its summary).
"""
import csv
import json
import os
import struct
import zlib

import numpy as np

__all__ = ["open_dir", "Run", "Sweep", "Protocol", "Analysis", "read_safetensors", "FormatError"]

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


class FormatError(ValueError):
    """A file that is not what phenom wrote (the message names the file and what is wrong)."""


def read_safetensors(path):
    """(tensors by name as numpy arrays, metadata dict) of a safetensors file. Raises FormatError,
    naming the file, when the header does not describe the data exactly or the file's crc32 (which
    phenom writes in the metadata) does not match its data."""
    def bad(why):
        return FormatError(f"{path!r} is not a safetensors file phenom can trust ({why})")

    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise bad("shorter than its 8-byte header length")
    (length,) = struct.unpack("<Q", raw[:8])
    if length > len(raw) - 8 or length > 100_000_000:
        raise bad(f"its header length {length} does not fit in its {len(raw)} bytes")
    try:
        header = json.loads(raw[8:8 + length].decode("utf-8"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError) as e:
        raise bad(f"the header is not JSON: {e}") from None
    if not isinstance(header, dict):
        raise bad("the header is not a JSON object")
    data = raw[8 + length:]
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad("__metadata__ is not a map of strings")
    if "crc32" in metadata and metadata["crc32"] != f"{zlib.crc32(data):08x}":
        raise bad("its CRC-32 does not match its data: the file changed after phenom wrote it")
    tensors, at = {}, 0
    for name, entry in sorted(header.items(), key=lambda item: tuple(_offsets(item, bad))):
        start, end = _offsets((name, entry), bad)
        dtype = entry.get("dtype")
        if dtype not in _DTYPES and dtype != "BF16":
            raise bad(f"tensor {name!r} has dtype {dtype!r}")
        shape = entry.get("shape")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise bad(f"tensor {name!r} has shape {shape!r}")
        size = 2 if dtype == "BF16" else np.dtype(_DTYPES[dtype]).itemsize
        if start != at or end - start != size * int(np.prod(shape, dtype=object)):
            raise bad(f"tensor {name!r} has data_offsets {[start, end]} that do not follow byte {at} "
                      "or do not hold its dtype and shape")
        at = end
        if dtype == "BF16":  # numpy has no bfloat16: widen to float32
            array = (np.frombuffer(data[start:end], dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            array = np.frombuffer(data[start:end], dtype=np.dtype(_DTYPES[dtype]).newbyteorder("<"))
        tensors[name] = array.reshape(shape).copy()
    if at != len(data):
        raise bad(f"{len(data) - at} bytes after the last tensor")
    return tensors, metadata


def _unique_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a name appears twice")
    return dict(pairs)


def _offsets(item, bad):
    name, entry = item
    offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
    if (not isinstance(offsets, list) or len(offsets) != 2 or
            not all(isinstance(o, int) and o >= 0 for o in offsets) or offsets[0] > offsets[1]):
        raise bad(f"tensor {name!r} needs data_offsets [begin, end] of two non-negative integers")
    return offsets


def _json(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except ValueError as e:
            raise FormatError(f"{path!r} is not JSON ({e})") from None


def _rows(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [line for line in f if line.strip()]
    rows = []
    for i, line in enumerate(lines):
        try:
            rows.append(json.loads(line))
        except ValueError as e:
            if i + 1 < len(lines):  # only a torn last line (a killed writer) is skipped
                raise FormatError(f"{path!r} line {i + 1} is not a JSON row ({e})") from None
    return rows


def _frame(rows):
    try:
        import pandas
    except ImportError:
        return rows
    return pandas.DataFrame(rows)


class Analysis:
    """One `phenom analyze` directory of a run: its spec, results rows, summary and tensors."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.summary = _json(os.path.join(path, "summary.json"), {})
        self.done = os.path.exists(os.path.join(path, "DONE"))

    def rows(self):
        """results.jsonl as a list of dicts (one per checkpoint x instrument)."""
        return _rows(os.path.join(self.path, "results.jsonl"))

    def results(self):
        return _frame(self.rows())

    def tensors(self, step):
        """Every tensor kept at `step`, keyed '<instrument index>.<type>/<name>'."""
        out, folder = {}, os.path.join(self.path, "tensors")
        prefix = f"step_{step}."
        for file in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if file.startswith(prefix) and file.endswith(".safetensors"):
                instrument = file[len(prefix):-len(".safetensors")]
                for name, array in read_safetensors(os.path.join(folder, file))[0].items():
                    out[f"{instrument}/{name}"] = array
        return out

    def exports(self, step):
        """What instruments saved at `step` for other tools, keyed '<instrument index>.<type>/<name>'
        (an SAE: '2.sae/layers.0.hook_post'): per file, JSON parsed and safetensors as numpy dicts.
        An SAE's folder is also what SAELens' SAE.load_from_disk reads."""
        out, folder = {}, os.path.join(self.path, "exports")
        prefix = f"step_{step}."
        for entry in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if not entry.startswith(prefix):
                continue
            for name in sorted(os.listdir(os.path.join(folder, entry))):
                files, where = {}, os.path.join(folder, entry, name)
                for file in sorted(os.listdir(where)):
                    if file.endswith(".json"):
                        files[file] = _json(os.path.join(where, file))
                    elif file.endswith(".safetensors"):
                        files[file] = read_safetensors(os.path.join(where, file))[0]
                out[f"{entry[len(prefix):]}/{name}"] = files
        return out


class Run:
    """A run directory, finished or not."""

    def __init__(self, path):
        self.path = path
        self.summary = _json(os.path.join(path, "summary.json"), {})
        self.meta = _json(os.path.join(path, "meta.json"), {})
        self.done = os.path.exists(os.path.join(path, "DONE"))

    @property
    def spec(self):
        import yaml  # Debian: python3-yaml
        with open(os.path.join(self.path, "spec.yaml")) as f:
            return yaml.safe_load(f)

    def metrics(self):
        """Every logged row (metrics.jsonl) with its `wall_time` (times.jsonl: seconds of the run's
        own processes up to that row): a DataFrame with pandas, else a list of dicts."""
        rows = _rows(os.path.join(self.path, "metrics.jsonl"))
        times = {t["step"]: t["wall_time"] for t in _rows(os.path.join(self.path, "times.jsonl"))}
        for row in rows:
            if row["step"] in times:
                row["wall_time"] = times[row["step"]]
        return _frame(rows)

    def series(self, key):
        """(steps, values) of one metric, over the rows that have it."""
        rows = [r for r in _rows(os.path.join(self.path, "metrics.jsonl")) if r.get(key) is not None]
        return np.array([r["step"] for r in rows]), np.array([r[key] for r in rows], dtype=float)

    @property
    def checkpoint_steps(self):
        """Steps with weights on disk (step_<N>.safetensors and the last checkpoint's)."""
        folder, steps = os.path.join(self.path, "checkpoints"), set()
        for file in os.listdir(folder) if os.path.isdir(folder) else []:
            if file.startswith("step_") and file.endswith(".safetensors") and file[5:-12].isdigit():
                steps.add(int(file[5:-12]))
        last = os.path.join(folder, "last.safetensors")
        if os.path.exists(last):
            steps.add(int(read_safetensors(last)[1]["step"]))
        return sorted(steps)

    def weights(self, step=None):
        """Parameters and buffers by name (numpy) at `step` (None: the last checkpoint)."""
        folder = os.path.join(self.path, "checkpoints")
        last = os.path.join(folder, "last.safetensors")
        if step is not None and os.path.exists(os.path.join(folder, f"step_{step}.safetensors")):
            return read_safetensors(os.path.join(folder, f"step_{step}.safetensors"))[0]
        if os.path.exists(last):
            tensors, metadata = read_safetensors(last)
            if step is None or int(metadata["step"]) == step:
                return tensors
        raise KeyError(f"{self.path} has no weights at step {step}; steps with weights: {self.checkpoint_steps}")

    def analyses(self):
        folder = os.path.join(self.path, "analyses")
        names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        return {name: Analysis(os.path.join(folder, name)) for name in names}


class Sweep:
    """A sweep directory: its runs in manifest order, sweep.csv and the sweep summary."""

    def __init__(self, path):
        self.path = path
        self.summary = _json(os.path.join(path, "summary.json"), {})
        self.jobs = _rows(os.path.join(path, "manifest.jsonl"))

    @property
    def runs(self):
        return [open_dir(self._run_dir(job["run_dir"])) for job in self.jobs]

    def _run_dir(self, recorded):
        """The manifest records run directories as the sweep command saw them (maybe relative to
        its working directory); runs lie beside the sweep directory."""
        if os.path.isabs(recorded) and os.path.isdir(recorded):
            return recorded
        beside = os.path.join(os.path.dirname(os.path.abspath(self.path)), os.path.basename(recorded))
        return beside if os.path.isdir(beside) else recorded

    def table(self):
        """sweep.csv: one row per job, its swept values and final metrics."""
        path = os.path.join(self.path, "sweep.csv")
        if not os.path.exists(path):
            return _frame([])
        try:
            import pandas
            return pandas.read_csv(path)
        except ImportError:
            with open(path) as f:
                return list(csv.DictReader(f))


class Protocol:
    """A protocol directory (imp, linear_mode_connectivity): its runs by name and its summary."""

    def __init__(self, path):
        self.path = path
        self.summary = _json(os.path.join(path, "summary.json"), {})
        self.done = os.path.exists(os.path.join(path, "DONE"))

    @property
    def runs(self):
        names = sorted(n for n in os.listdir(self.path) if os.path.exists(os.path.join(self.path, n, "spec.yaml")))
        return {name: Run(os.path.join(self.path, name)) for name in names}


def open_dir(path):
    """A Run, Sweep or Protocol, by what the directory holds."""
    if os.path.exists(os.path.join(path, "manifest.jsonl")):
        return Sweep(path)
    if os.path.exists(os.path.join(path, "protocol.yaml")):
        return Protocol(path)
    if os.path.exists(os.path.join(path, "spec.yaml")):
        return Run(path)
    raise FileNotFoundError(f"{path} is not a phenom run, sweep or protocol directory (no spec.yaml, "
                            "manifest.jsonl or protocol.yaml)")
