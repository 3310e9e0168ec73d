#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<name>/).

Seeds are tiny hand-built files: valid ones the fuzzer mutates from, and the
edge cases each reader must reject. Files named crash-*/regress-* are inputs
that once failed: this script never touches them. Usage:
  tests/fuzz/make_corpus.py [--fixtures DIR]
With --fixtures (shared/fixtures), 2 KB prefixes of the real llama.cpp and
.npy fixtures are added too.
"""
import argparse
import math
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- llama.cpp files ---------------------------------------------------------

def llama_row(logits):
    """A llama.cpp row of `logits` (independent, simplified quantizer)."""
    mx = max(logits)
    lse = mx + math.log(sum(math.exp(x - mx) for x in logits))
    lp = [x - lse for x in logits]
    lo = max(min(lp), max(lp) - 16.0)
    scale = (max(lp) - lo) / 65535.0
    codes = [0 if scale == 0 else max(0, min(65535, round((v - lo) / scale)))
             for v in lp]
    if len(codes) % 2:
        codes.append(0)
    return struct.pack("<ff", scale, lo) + struct.pack("<%dH" % len(codes),
                                                      *codes)


def llama_file(n_ctx, n_vocab, n_chunk, tokens=None, rows=None, magic=b"_logits_"):
    tokens = tokens if tokens is not None else [
        (i * 7 + 1) % n_vocab for i in range(n_ctx * n_chunk)]
    per_chunk = max(0, n_ctx - 1 - n_ctx // 2)
    if rows is None:
        rows = [llama_row([((r * 5 + v * 3) % 11) * 0.7 for v in range(n_vocab)])
                for r in range(per_chunk * n_chunk)]
    out = magic + struct.pack("<Iii", n_ctx, n_vocab, n_chunk)
    out += struct.pack("<%di" % len(tokens), *tokens)
    return out + b"".join(rows)


def llama_corpus():
    t = "llamacpp_file"
    ok = llama_file(4, 5, 2)
    write(t, "ok-ctx4-vocab5-chunk2", ok)
    write(t, "ok-ctx8-vocab6-chunk1", llama_file(8, 6, 1))
    write(t, "ok-ctx3-vocab1-chunk1", llama_file(3, 1, 1))
    write(t, "truncated-mid-row", ok[:-7])
    write(t, "truncated-in-tokens", ok[:30])
    write(t, "header-only", ok[:20])
    write(t, "empty", b"")
    write(t, "bad-magic", llama_file(4, 5, 2, magic=b"_logitz_"))
    write(t, "ctx2-no-rows", llama_file(2, 5, 1))
    write(t, "vocab0", llama_file(4, 0, 1, tokens=[0] * 4, rows=[]))
    write(t, "vocab-negative", llama_file(4, -3, 1, tokens=[0] * 4, rows=[]))
    write(t, "chunk-negative", llama_file(4, 5, -1, tokens=[], rows=[]))
    write(t, "huge-header", b"_logits_" + struct.pack("<Iii", 0xFFFFFFFF,
                                                     0x7FFFFFFF, 0x7FFFFFFF))
    write(t, "tokens-out-of-range",
          llama_file(4, 5, 2, tokens=[-1, 5, 1 << 30, -(1 << 31)] * 2))
    bad_row = struct.pack("<ff", float("inf"), float("nan")) + b"\xff\xff" * 6
    write(t, "row-inf-scale-nan-min", llama_file(4, 5, 1, rows=[bad_row]))
    neg_row = struct.pack("<ff", -1.0, 5.0) + struct.pack("<6H", 0, 1, 65535, 7, 7, 9)
    write(t, "row-negative-scale", llama_file(4, 5, 1, rows=[neg_row]))
    write(t, "extra-bytes", ok + b"\x00" * 5)


# ---- .npy ----------------------------------------------------------------------

def npy(descr, shape, data, version=1, fortran="False", raw_dict=None):
    shape_txt = "(%s)" % "".join("%d," % d for d in shape) if len(shape) == 1 \
        else "(%s)" % ", ".join(str(d) for d in shape)
    d = raw_dict if raw_dict is not None else (
        "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }"
        % (descr, fortran, shape_txt))
    size_fmt = "<H" if version == 1 else "<I"
    pre = 8 + 2 + struct.calcsize(size_fmt)
    pad = (64 - (pre + len(d) + 1) % 64) % 64
    d = d + " " * pad + "\n"
    return (b"\x93NUMPY" + bytes([version, 0]) + struct.pack(size_fmt, len(d))
            + d.encode("latin1") + data)


def npy_corpus():
    t = "npy"
    f32 = struct.pack("<6f", 1.5, -2.0, 0.0, float("inf"), -1e30, 3.25)
    write(t, "f4-2x3", npy("<f4", (2, 3), f32))
    write(t, "f4-1d", npy("<f4", (6,), f32))
    write(t, "f2-2x2", npy("<f2", (2, 2), struct.pack("<4H", 0x3C00, 0x8001,
                                                      0x7C00, 0x7E00)))
    write(t, "i4-1d", npy("<i4", (4,), struct.pack("<4i", 1, -1, 0, 1 << 30)))
    write(t, "v2-f4", npy("<f4", (1, 6), f32, version=2))
    write(t, "v3-f4", npy("<f4", (3, 2), f32, version=3))
    write(t, "fortran", npy("<f4", (2, 3), f32, fortran="True"))
    write(t, "big-endian", npy(">f4", (2, 3), f32))
    write(t, "f8", npy("<f8", (3,), struct.pack("<3d", 1, 2, 3)))
    write(t, "shape-empty-tuple", npy("<f4", (), b"", raw_dict=
          "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"))
    write(t, "shape-0x5", npy("<f4", (0, 5), b""))
    write(t, "shape-3d", npy("<f4", (1, 2, 3), f32))
    write(t, "shape-huge", npy("<f4", (1 << 62, 1 << 62), f32))
    write(t, "truncated-data", npy("<f4", (2, 3), f32[:-3]))
    write(t, "extra-data", npy("<f4", (2, 3), f32 + b"\x00" * 4))
    write(t, "dict-keys-reordered", npy("<f4", (2, 3), f32, raw_dict=
          "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}"))
    write(t, "dict-garbage", npy("<f4", (2, 3), f32, raw_dict="{'descr': '<f4', 'shape': (2,"))
    write(t, "bad-magic", b"\x93NUMPZ" + npy("<f4", (2, 3), f32)[6:])


# ---- kernels ---------------------------------------------------------------------

def kernel_input(op, base, model, mode, flags, n_vocab, target, floor, data):
    return (bytes([op, base, model, mode, flags]) +
            struct.pack("<HIf", n_vocab, target, floor) + data)


def kernels_corpus():
    t = "kernels"
    logits = struct.pack("<8f", 1.0, 2.5, -3.0, 0.0, 7.0, 7.0, -20.0, 0.5)
    words = llama_row([1.0, 2.5, -3.0, 0.0, 7.0, 7.0, -20.0])
    F32, F16, BF16, LLAMA, BAD = 0, 1, 2, 3, 4
    small = 1 << 1
    cases = {
        "compare-llama-f32": (0, LLAMA, F32, 0, 0, 7, 3, 16.0, words + logits),
        "compare-tail-llama-llama": (0, LLAMA, LLAMA, 1, 0, 7, 4, 16.0, words),
        "compare-exact-f32-f16": (0, F32, F16, 2, small, 300, 299, 16.0, logits),
        "compare-exact-bf16-f32": (0, BF16, F32, 2, small, 33, 1, 16.0, logits),
        "compare-bad-mode": (0, LLAMA, F32, 3, 0, 7, 0, 16.0, words),
        "compare-bad-target": (0, LLAMA, F32, 0, 1, 7, 7, 16.0, words),
        "compare-extras": (0, LLAMA, F32, 0, 1 << 5, 7, 0, 16.0, words),
        "compare-bad-type": (0, BAD, F32, 0, 0, 7, 0, 16.0, words),
        "compare-misaligned-large": (0, LLAMA, F32, 0, small | 4, 16384, 9,
                                     16.0, words + logits),
        "softmax-f32": (1, F32, F32, 0, small, 1000, 0, 16.0, logits),
        "softmax-inplace": (1, F32, F32, 0, small | 1 << 7, 17, 0, 16.0, logits),
        "softmax-wrong-size": (1, F16, F32, 0, 1 << 3, 9, 0, 16.0, logits),
        "softmax-nonfinite": (1, F32, F32, 0, 0, 4, 0, 16.0,
                              struct.pack("<4f", 1, float("nan"), float("inf"), 0)),
        "softmax-vocab0": (1, F32, F32, 0, 0, 0, 0, 16.0, logits),
        "quantize-f32": (2, F32, F32, 0, small, 255, 0, 16.0, logits),
        "quantize-strict-odd": (2, F32, F32, 0, small | 1 << 6, 31, 0, 24.0, logits),
        "quantize-nan-floor": (2, F32, F32, 0, small, 31, 0, float("nan"), logits),
        "quantize-negative-floor": (2, BF16, F32, 0, 0, 8, 0, -1.0, logits),
        "quantize-short-out": (2, F32, F32, 0, small | 1 << 3 | 1 << 4, 9, 0, 16.0, logits),
        "reduce-f32": (3, F32, F32, 0, small, 129, 0, 16.0, logits),
        "reduce-all-neg-inf": (3, F32, F32, 0, 0, 5, 0, 16.0,
                               struct.pack("<f", float("-inf"))),
        "reduce-llama": (3, LLAMA, F32, 0, 0, 7, 0, 16.0, words),
        "dequantize": (4, LLAMA, F32, 0, 0, 7, 0, 16.0, words),
        "dequantize-wrong-size": (4, LLAMA, F32, 0, 1 << 3, 7, 0, 16.0, words),
    }
    for name, args in cases.items():
        write(t, name, kernel_input(*args))


def fixture_prefixes(fixtures):
    base = os.path.join(fixtures, "llamacpp")
    for target, name in (("llamacpp_file", "v32k-c128x4-f16.logits"),
                         ("npy", "v32k-c128x4-q8_0.f32.npy")):
        with open(os.path.join(base, name), "rb") as f:
            write(target, "fixture-prefix-2k", f.read(2048))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", help="shared/fixtures folder")
    args = parser.parse_args()
    llama_corpus()
    npy_corpus()
    kernels_corpus()
    if args.fixtures:
        fixture_prefixes(args.fixtures)


if __name__ == "__main__":
    main()
