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
    F32, F16, BF16, LLAMA, SPARSE, BAD = 0, 1, 2, 3, 4, 5
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
        "compare-sparse-f32": (0, SPARSE, F32, 0, 0, 7, 3, 16.0, words + logits),
        "compare-sparse-tail-f16": (0, SPARSE, F16, 1, 0, 7, 2, 16.0,
                                    words + logits),
        "compare-sparse-bad-count": (0, SPARSE, F32, 0, 1 << 3, 7, 3, 16.0,
                                     words + logits),
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


# ---- accumulator states --------------------------------------------------------

def crc32c(data):
    """CRC-32C (Castagnoli, reflected 0x82F63B78), bit by bit."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def section(kind, body):
    return bytes([kind]) + struct.pack("<Q", len(body)) + body


def exact_sum(v, version):
    """A sum: (sum, compensation) before version 3, else a term list (one
    term: valid, though not the writer's canonical digits)."""
    if version < 3:
        return struct.pack("<dd", v, 0.0)
    terms = [v] if v != 0 else []
    return struct.pack("<B%dd" % len(terms), len(terms), *terms)


def moments(n, kld=(), dp=(), skipped=(0, 0, 0, 0, 0), version=1):
    """MOMENTS of n tokens: sums from the given values (nll = kld + 1)."""
    def pair(v):
        return exact_sum(v, version)
    nll = [k + 1.0 for k in kld]
    sums = [sum(nll), sum(x * x for x in nll), sum(nll), sum(x * x for x in nll),
            sum(x * x for x in nll), sum(kld), sum(k * k for k in kld), sum(dp),
            sum(d * d for d in dp), sum(d ** 4 for d in dp)]
    inf = float("inf")
    ext = (min(kld), max(kld), min(dp), max(dp)) if n else (inf, -inf, inf, -inf)
    mad = max((abs(d) for d in dp), default=0.0)
    return section(0x02, struct.pack("<QQ5Q", n, n, *skipped) +
                   b"".join(pair(v) for v in sums) +
                   struct.pack("<5f", mad, *ext))


def acc_state(mode, accuracy, body_sections, version=1, flags=0,
              measures=None):
    """measures: (mask, top_k list) of a version-2 config."""
    config = struct.pack("<Iddd", mode, accuracy, 1e-15, 1e15)
    if measures is not None:
        mask, top_k = measures
        config += struct.pack("<I4I", mask, *top_k)
    config = section(0x01, config)
    body = config + b"".join(body_sections)
    head = b"KLDA" + struct.pack("<HHQ", version, flags, len(body))
    return head + body + struct.pack("<I", crc32c(head + body))


def store(first, counts):
    return struct.pack("<iI", first, len(counts)) + struct.pack(
        "<%dQ" % len(counts), *counts)


def measure_section(mid, values=(), stored=(), rank=None, buckets=None,
                    version=2):
    """A MEASURE section (docs/accumulator-encoding.md, version 2). values:
    (n, skipped, sum, sum2, min, max) per value sum; stored: f32 values of a
    mean-percentile measure; rank: (tokens, 3 base hits, 3 model hits);
    buckets: 5 x (n, same_top, kld sum, kld2 sum)."""
    body = struct.pack("<II", mid, len(values))
    for n, skipped, s, s2, lo, hi in values:
        body += (struct.pack("<QQ", n, skipped) + exact_sum(s, version) +
                 exact_sum(s2, version) + struct.pack("<dd", lo, hi))
    body += struct.pack("<%df" % len(stored), *stored)
    rank = rank or (0, (0, 0, 0), (0, 0, 0))
    body += struct.pack("<Q3Q3Q", rank[0], *rank[1], *rank[2])
    for n, same, k, k2 in buckets or [(0, 0, 0.0, 0.0)] * 5:
        body += (struct.pack("<QQ", n, same) + exact_sum(k, version) +
                 exact_sum(k2, version))
    return section(0x06, body)


def accumulator_corpus():
    t = "accumulator"
    kld, dp = [0.01, 0.5, 0.02], [0.1, -0.2, 0.0]
    exact = acc_state(0, 1e-3, [moments(3, kld, dp), section(0x03, struct.pack(
        "<Q3f3f", 3, *kld, *dp))])
    empty = acc_state(0, 1e-3, [moments(0, skipped=(1, 0, 2, 0, 0)),
                                section(0x03, struct.pack("<Q", 0))])
    # Sketch a = 0.01: three KLD values in adjacent buckets; dp one zero
    # and one on each side (the counts must add up to n, not match values).
    sketch = acc_state(1, 1e-2, [
        moments(3, kld, dp),
        section(0x04, struct.pack("<Q", 0) + store(-231, [1, 0, 1, 1]) +
                store(0, [])),
        section(0x05, struct.pack("<Q", 1) + store(-80, [1]) +
                store(-115, [1])),
    ])
    seeds = {
        "exact-3": (0, exact), "exact-empty-skipped": (0, empty),
        "sketch-3": (0, sketch), "exact-3-into-sketch": (1 << 1, exact),
        "sketch-3-into-own-empty": (3 << 1 | 1 << 3, sketch),
        "bad-crc-repaired": (1, exact[:-4] + b"\0\0\0\0"),
        "bad-magic": (0, b"KLDB" + exact[4:]),
        "version-4": (1, exact[:4] + b"\x04" + exact[5:]),
        "version-2-without-measures": (1, exact[:4] + b"\x02" + exact[5:]),
        "truncated": (0, exact[:40]),
        "trailing-byte": (1, exact[:-4] + b"\0" + exact[-4:]),
        "sketch-index-out-of-range": (1, sketch.replace(
            struct.pack("<iI", -231, 4), struct.pack("<iI", -(1 << 30), 4))),
    }
    # Version 2: JSD (mean and percentiles), TVD (mean), target in top-K
    # and confidence buckets (ids 1, 2, 4, 5) over the same three tokens.
    jsd = [0.001, 0.002, 0.003]
    measured = acc_state(0, 1e-3, [
        moments(3, kld, dp),
        section(0x03, struct.pack("<Q3f3f", 3, *kld, *dp)),
        measure_section(1, [(3, 0, sum(jsd), sum(j * j for j in jsd), 0.001,
                             0.003)], stored=jsd),
        measure_section(2, [(2, 1, 0.3, 0.05, 0.1, 0.2)]),
        measure_section(4, rank=(3, (1, 2, 3), (0, 2, 3))),
        measure_section(5, buckets=[(1, 1, 0.01, 1e-4), (2, 1, 0.52, 0.2504),
                                    (0, 0, 0.0, 0.0), (0, 0, 0.0, 0.0),
                                    (0, 0, 0.0, 0.0)]),
    ], version=2, measures=(0b110110, (5, 10, 0, 0)))
    seeds.update({
        "v2-measures": (0, measured),
        "v2-measures-into-own": (3 << 1, measured),
        "v2-measures-into-exact": (0 << 1, measured),
        "v2-measure-missing": (1, measured.replace(
            measure_section(5, buckets=[(1, 1, 0.01, 1e-4),
                                        (2, 1, 0.52, 0.2504)] +
                            [(0, 0, 0.0, 0.0)] * 3), b"")),
        "v2-hits-beyond-tokens": (1, measured.replace(
            struct.pack("<Q3Q3Q", 3, 1, 2, 3, 0, 2, 3),
            struct.pack("<Q3Q3Q", 3, 1, 2, 9, 0, 2, 3))),
    })
    # Version 3: exact sums (term lists); measures field always present.
    v3 = acc_state(0, 1e-3, [moments(3, kld, dp, version=3), section(
        0x03, struct.pack("<Q3f3f", 3, *kld, *dp))], version=3,
        measures=(0, (5, 10, 0, 0)))
    v3_measured = acc_state(0, 1e-3, [
        moments(3, kld, dp, version=3),
        section(0x03, struct.pack("<Q3f3f", 3, *kld, *dp)),
        measure_section(1, [(3, 0, sum(jsd), sum(j * j for j in jsd), 0.001,
                             0.003)], stored=jsd, version=3),
        measure_section(2, [(2, 1, 0.3, 0.05, 0.1, 0.2)], version=3),
        measure_section(4, rank=(3, (1, 2, 3), (0, 2, 3)), version=3),
        measure_section(5, buckets=[(1, 1, 0.01, 1e-4), (2, 1, 0.52, 0.2504)] +
                        [(0, 0, 0.0, 0.0)] * 3, version=3),
    ], version=3, measures=(0b110110, (5, 10, 0, 0)))
    first_sum = exact_sum(sum(k + 1.0 for k in kld), 3)
    seeds.update({
        "v3-exact-3": (0, v3),
        "v3-exact-3-into-own": (1 << 1, v3),
        "v3-measures": (0, v3_measured),
        "v3-measures-into-own": (3 << 1, v3_measured),
        "v3-sum-too-many-terms": (1, v3.replace(first_sum, b"\xff" +
                                                 first_sum[1:])),
        "v3-sum-not-finite": (1, v3.replace(first_sum, struct.pack(
            "<Bd", 1, float("inf")))),
    })
    for name, (control, state) in seeds.items():
        write(t, name, bytes([control]) + state)


# ---- .kldz containers ---------------------------------------------------------
# Built with zeroed checksums and ids: control byte 3 makes the fuzz target
# write them (there is no XXH3 here).

def zstd_frame(data, rle=False):
    """A zstd frame of one raw (or RLE) block with its content size."""
    assert len(data) < 256
    block = bytes([data[0]]) if rle else data
    header = 1 | ((1 if rle else 0) << 1) | (len(data) << 3)
    return (struct.pack("<I", 0xFD2FB528) + bytes([0x20, len(data)]) +
            struct.pack("<I", header)[:3] + block)


def stream(data, mode=0):
    if mode == 0:
        return b"\x00" + struct.pack("<I", len(data)) + data
    frame = zstd_frame(data, rle=(mode == 2))
    return b"\x01" + struct.pack("<I", len(frame)) + frame


def split_payload(rows, n_vocab, runs=False, modes=(0, 0, 0)):
    """Codec 1 payload of llama rows (lists of uint16 words), row-major."""
    heads = b""
    codes = []
    for w in rows:
        heads += struct.pack("<4H", *w[:4])
        if n_vocab % 2:
            heads += struct.pack("<H", w[4 + n_vocab])
        codes += w[4:4 + n_vocab]
    nz = [c for c in codes if c]
    if runs:
        gaps, g = [], 0
        for c in codes:
            if c == 0:
                g += 1
                if g == 255:
                    gaps.append(255)
                    g = 0
            else:
                gaps.append(g)
                g = 0
        mapping = bytes(gaps)
    else:
        bits = bytearray((len(codes) + 7) // 8)
        for k, c in enumerate(codes):
            if c:
                bits[k // 8] |= 1 << (k % 8)
        mapping = bytes(bits)
    return (bytes([0, 1 if runs else 0]) + heads + stream(mapping, modes[0]) +
            stream(bytes(c >> 8 for c in nz), modes[1]) +
            stream(bytes(c & 0xFF for c in nz), modes[2]))


def kldz_file(n_ctx, n_vocab, n_chunk, rows_per_block, meta=(), runs=False,
              modes=(0, 0, 0), end=True, keep_kld=False, first_chunk=None):
    tokens = [(i * 3 + 1) % n_vocab for i in range(n_ctx * n_chunk)]
    # Version 1.1 with flag bit 0: the keep-kld profile (docs/floors.md);
    # 1.2 with flag bit 1 and first_chunk at byte 52: a shard.
    shard = first_chunk is not None
    minor = 2 if shard else int(keep_kld)
    body = b"\x89KLDZ\r\n\x1a" + struct.pack("<HHI", 1, minor,
                                               int(keep_kld) | 2 * int(shard))
    fields = struct.pack("<IiiIQII", n_ctx, n_vocab, n_chunk, rows_per_block,
                         len(tokens), len(meta), first_chunk or 0)
    fields += struct.pack("<%di" % len(tokens), *tokens)
    for k, v in meta:
        fields += struct.pack("<I", len(k)) + k + struct.pack("<I", len(v)) + v
    header_size = len(body) + 8 + len(fields) + 8
    out = body + struct.pack("<Q", header_size) + fields + b"\0" * 8
    n_rows = n_chunk * max(0, n_ctx - 1 - n_ctx // 2)
    rows = [[int(x) for x in struct.unpack(
        "<%dH" % (len(llama_row([0.0] * n_vocab)) // 2),
        llama_row([((r * 5 + v * 3) % 11) * 0.7 for v in range(n_vocab)]))]
        for r in range(n_rows)]
    # A shard's rows start at chunk first_chunk; blocks stay on the whole
    # run's grid, so the first one may be short.
    g0 = (first_chunk or 0) * max(0, n_ctx - 1 - n_ctx // 2)
    rows = rows[g0:]
    n_rows = len(rows)
    cuts = sorted({0, n_rows} | {b - g0 for b in range(
        rows_per_block, g0 + n_rows, rows_per_block) if b > g0})
    entries = []
    for first, stop in zip(cuts, cuts[1:]):
        chunk = rows[first:stop]
        payload = split_payload(chunk, n_vocab, runs, modes)
        entries.append((len(out), len(chunk), len(payload)))
        out += (b"KZBK\x01\0\0\0" + struct.pack("<QQII", 0, first, len(chunk),
                                                 len(payload)) + b"\0" * 16
                + payload)
    if not end:
        return out
    seek = len(out)
    out += b"KZST" + struct.pack("<IQ", 0, len(entries))
    out += b"".join(struct.pack("<QII", *e) for e in entries) + b"\0" * 8
    return out + struct.pack("<QQQ", seek, n_rows, 0) + b"\0" * 8 + b"KLDZ_END"


def kldz_corpus():
    t = "kldz"
    repair, recover, export = 3, 1 << 2, 1 << 3
    ok = kldz_file(4, 5, 3, 2)
    seeds = {
        "ctx4-vocab5-chunk3-bitmap": (repair | export, ok),
        "ctx8-vocab6-runs-meta": (repair, kldz_file(
            8, 6, 2, 3, meta=((b"model", b"m"), (b"quant", b"q8_0")),
            runs=True)),
        "zstd-raw-and-rle": (repair | export, kldz_file(
            6, 7, 2, 4, modes=(1, 2, 1))),
        "vocab1-one-row": (repair, kldz_file(3, 1, 1, 1)),
        "no-end-marker-recover": (repair | recover, kldz_file(
            4, 5, 3, 2, end=False)),
        "unrepaired": (0, ok),
        "ids-not-repaired": (1 | recover, ok),
        "huge-rows-per-block": (repair, kldz_file(4, 5, 1, 1)
                                .replace(struct.pack("<I", 1) + struct.pack(
                                    "<Q", 4), struct.pack("<I", 0x7FFFFFFF) +
                                    struct.pack("<Q", 4), 1)),
        "keep-kld-floor-meta": (repair | recover | export, kldz_file(
            8, 6, 2, 3, meta=((b"floor", b"16"), (b"keep", b"kld")),
            runs=True, keep_kld=True)),
        "keep-flag-in-1.0": (repair, ok[:12] + b"\x01" + ok[13:]),
        "shard-chunks-1-3": (repair | recover | export, kldz_file(
            8, 6, 3, 2, first_chunk=1)),
        "header-only": (repair, ok[:70]),
        "major-2": (repair, ok[:8] + b"\x02" + ok[9:]),
    }
    for name, (control, data) in seeds.items():
        write(t, name, bytes([control]) + data)


# ---- C ABI call sequences -----------------------------------------------------
# Byte programs for capi_fuzz.cc: each op byte is followed by the bytes its
# arguments read, in the order the target reads them.

class Program:
    def __init__(self):
        self.out = bytearray()

    def u8(self, *v):
        self.out += bytes(v)
        return self

    def u16(self, v):
        self.out += struct.pack("<H", v)
        return self

    def u32(self, v):
        self.out += struct.pack("<I", v)
        return self

    def raw(self, b):
        self.out += b
        return self

    def create(self, slot, options=None):  # options: 24 bytes, or defaults
        if options is None:
            return self.u8(0, 1, slot)
        return self.u8(0, 2).raw(options).u8(slot)

    def add(self, slot, n):
        return self.u8(2, slot, 1, n, 0)

    def serialize(self, slot, how=2):
        return self.u8(4, slot, 1, how)

    def deserialize(self, slot, how=0):
        self.u8(5, how)
        if how == 1:
            self.u16(20).u8(0x40)
        return self.u8(slot)

    def decode_merge(self, slot, how=1):
        self.u8(6, slot, 1, how)
        return self.u16(30).u8(0x10) if how == 1 else self

    def report(self, slot):
        return self.u8(7, slot, 1, 1, 1)

    def render(self, which, chunk=1, how=0):
        return self.u8(8, 1, 1, which).u32(chunk).u8(how)

    def open(self, content):
        return self.u8(9, 1).u16(len(content)).raw(content).u8(1)

    def reader_calls(self, f32=False):
        self.u8(10, 1).u8(11, 8).u32(0).u8(1).u8(12).u32(0).u8(1)
        return self.u8(14 if f32 else 13, 0x11, 0)

    def kernel(self, which, n_vocab, *args):
        return self.u8(17, which).u16(n_vocab).u8(*args)


def capi_corpus():
    t = "capi"
    logits = struct.pack("<8f", 1.0, 2.5, -3.0, 0.0, 7.0, 7.0, -20.0, 0.5)
    results = b"".join(struct.pack("<Qd5fiiI", 48, 0.01 * i, 1.0, 1.5, 0.3,
                                   0.2, 0.1, 1, 1, 1) for i in range(6))
    sketch_opts = struct.pack("<QIId", 24, 1, 0, 1e-2)
    seeds = {
        "acc-add-serialize-merge-report": Program().create(0).add(0, 5)
        .serialize(0).deserialize(1).decode_merge(1).decode_merge(0, 0)
        .report(1).render(0).render(1).render(3, 2).raw(results),
        "acc-sketch-roundtrip": Program().create(0, sketch_opts).add(0, 6)
        .serialize(0, 0x61).deserialize(2, 1).report(0).render(1)
        .raw(results),
        "reader-llama-close-reuse": Program().open(llama_file(4, 5, 2))
        .reader_calls().u8(15).reader_calls().u8(15, 16).open(b"").raw(b"\0"),
        "reader-npy": Program().open(npy("<f4", (2, 4), logits))
        .reader_calls(True).u8(16),
        "kernels": Program().kernel(5, 7, 0, 3, 0, 1, 1, 1, 6)
        .kernel(3, 8, 0, 0, 1, 0).kernel(2, 8, 0, 1, 0).kernel(4, 7, 1, 0, 0)
        .kernel(0, 8, 0, 1)
        .raw(logits + llama_row([1.0, 2.5, -3, 0, 7, 7, -20])),
        "batch": Program().create(0).u8(18, 0, 1, 4).u16(7).u8(3, 1, 0)
        .u16(1).u16(2).u16(3).u16(4).u8(1, 0, 1).raw(logits * 4),
        "render-fuzzed-report": Program().u8(8, 3, 200).raw(bytes(range(200)))
        .u8(0, 0).u32(5).u8(0),
        "verify-null": Program().u8(22).u16(8).raw(b"\x89KLDZ\r\n\x1a").u8(0),
        # n_ctx 4, n_vocab 7, 8 tokens, default options; a float row, a
        # batch of two, a stored row; then close.
        "kldz-writer": Program().u8(19, 4).u16(9).u8(8)
        .raw(b"".join(struct.pack("<H", t + 1) for t in range(8)))
        .u8(1, 3).u8(0, 1, 0).raw(logits[:28]).u8(0)
        .u8(1, 1, 2, 0).raw(logits * 2).u8(2, 1, 0).raw(bytes(22)).u8(1),
        "compare-files": Program().create(0)
        .u8(20).u16(len(llama_file(4, 5, 2))).raw(llama_file(4, 5, 2))
        .u16(len(llama_file(4, 5, 2))).raw(llama_file(4, 5, 2))
        .u8(0x1F, 1, 0, 1),
        "render-alloc": Program().create(0).add(0, 5).report(0)
        .u8(21, 1, 1, 0x10).u8(21, 1, 1, 0x11).u8(21, 1, 1, 0x13).u32(2)
        .raw(results),
    }
    for name, program in seeds.items():
        write(t, name, bytes(program.out))


def fixture_prefixes(fixtures):
    base = os.path.join(fixtures, "llamacpp")
    for target, name in (("llamacpp_file", "v32k-c128x4-f16.logits"),
                         ("npy", "v32k-c128x4-q8_0.f32.npy")):
        with open(os.path.join(base, name), "rb") as f:
            write(target, "fixture-prefix-2k", f.read(2048))


# ---- GGUF headers --------------------------------------------------------------

def gguf_str(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_file(tensors, version=3, alignment=32, extra_kv=b"", n_kv_extra=0):
    """A GGUF file: metadata (name, alignment, a token array) and
    `tensors` = [(name, dims, type, data_bytes)], data aligned."""
    kv = (gguf_str("general.name") + struct.pack("<I", 8) + gguf_str("m") +
          gguf_str("general.alignment") + struct.pack("<II", 4, alignment) +
          gguf_str("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2) +
          gguf_str("a") + gguf_str("b") + extra_kv)
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), 3 + n_kv_extra) + kv
    offset = 0
    for name, dims, ttype, size in tensors:
        out += gguf_str(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ttype, offset)
        offset += -(-size // alignment) * alignment
    out += bytes(-len(out) % alignment)
    for _, _, _, size in tensors:
        out += bytes(size) + bytes(-size % alignment)
    return out


def gguf_corpus():
    model = [("w", [64, 8], 2, 288), ("n", [64], 0, 256)]
    write("gguf", "valid-v3", gguf_file(model))
    write("gguf", "valid-v2-align64", gguf_file(model, version=2, alignment=64))
    write("gguf", "no-tensors", gguf_file([]))
    write("gguf", "array-of-floats", gguf_file(
        model, extra_kv=gguf_str("x") + struct.pack("<IIQ", 9, 6, 2) +
        struct.pack("<ff", 1.0, 2.0), n_kv_extra=1))
    write("gguf", "version-1", gguf_file(model, version=1))
    write("gguf", "five-dims", gguf_file([("t", [2, 2, 2, 2, 2], 0, 128)]))
    write("gguf", "truncated", gguf_file(model)[:70])


# ---- partial evaluation states (docs/partial-state.md) -------------------------

def partial_state(models, begin=0, end=1, n_chunk=2, n_ctx=8, rows=6,
                  version=1):
    """models: (label, accumulator state) pairs."""
    body = b"KLDP" + struct.pack("<HHQIIQQIIII", version, 0, 0x1234, n_ctx,
                                 n_chunk, rows, 32000, 0, begin, end,
                                 len(models))
    for label, state in models:
        body += struct.pack("<Q", len(label)) + label
        body += struct.pack("<Q", len(state)) + state
    return body + struct.pack("<I", crc32c(body))


def partial_corpus():
    t = "partial"
    kld, dp = [0.01, 0.5, 0.02], [0.1, -0.2, 0.0]
    # Three tokens: one chunk of n_ctx 8 (3 rows per chunk).
    state = acc_state(0, 1e-3, [moments(3, kld, dp, version=3), section(
        0x03, struct.pack("<Q3f3f", 3, *kld, *dp))], version=3,
        measures=(0, (5, 10, 0, 0)))
    empty = acc_state(0, 1e-3, [moments(0, version=3), section(
        0x03, struct.pack("<Q", 0))], version=3, measures=(0, (5, 10, 0, 0)))
    write(t, "one-model", partial_state([(b"q4.npy", state)]))
    write(t, "two-models", partial_state([(b"q4.npy", state),
                                          (b"q8.logits", state)]))
    write(t, "empty-range", partial_state([(b"q4", empty)], begin=2, end=2))
    write(t, "tokens-beyond-range", partial_state([(b"q4", state)], begin=1,
                                                  end=1))
    write(t, "range-past-chunks", partial_state([(b"q4", state)], end=3))
    write(t, "version-2", partial_state([(b"q4", state)], version=2))
    write(t, "truncated", partial_state([(b"q4", state)])[:60])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", help="shared/fixtures folder")
    args = parser.parse_args()
    llama_corpus()
    npy_corpus()
    kernels_corpus()
    accumulator_corpus()
    kldz_corpus()
    capi_corpus()
    gguf_corpus()
    partial_corpus()
    if args.fixtures:
        fixture_prefixes(args.fixtures)


if __name__ == "__main__":
    main()
