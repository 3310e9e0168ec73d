"""Tests of the kldkit Python bindings (plain unittest).

Run by ctest with KLDKIT_LIBRARY (the built libkldkit.so), and
KLDKIT_PY_REFERENCE (tests/capi/py_reference: the same comparison through
the C++ API alone, printing the report JSON). The fixture test reads
$KLDKIT_FIXTURES/llamacpp and skips cleanly when it is absent.
"""
import itertools
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import unittest
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))
import kldkit  # noqa: E402

REFERENCE = os.environ.get("KLDKIT_PY_REFERENCE")
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get(
    "KLDKIT_FIXTURES",
    os.path.join(HERE, os.pardir, os.pardir, os.pardir, "shared", "fixtures"))


def reference_json(base, model, mode="llamacpp"):
    if not REFERENCE:
        raise unittest.SkipTest("KLDKIT_PY_REFERENCE is not set")
    out = subprocess.run([REFERENCE, base, model, mode], check=True,
                         capture_output=True, text=True)
    return out.stdout


def kldz_header_metadata(path):
    """The metadata entries of a .kldz file as raw bytes, parsed from its
    header as docs/FORMAT.md lays it out (independent of the library)."""
    with open(path, "rb") as f:
        head = f.read(56)
        n_tokens, n_meta = struct.unpack_from("<QI", head, 40)
        f.seek(56 + 4 * n_tokens)
        entries = {}
        for _ in range(n_meta):
            key = f.read(struct.unpack("<I", f.read(4))[0])
            entries[key] = f.read(struct.unpack("<I", f.read(4))[0])
    return entries


def compare_files(base_path, model_path, mode="llamacpp", threads=1):
    """The Python side of the parity tests: readers + compare."""
    with kldkit.Reader(base_path) as base, kldkit.Reader(model_path) as model:
        n = base.header.n_rows
        return kldkit.compare(base.rows(), model.rows(0, n), base.targets(),
                              mode=mode, threads=threads,
                              n_vocab=base.header.n_vocab)


class Generated(unittest.TestCase):
    """n_ctx 16 (7 scored rows per chunk), 20 chunks = 140 rows, vocab 61."""
    n_ctx, n_chunk, n_vocab = 16, 20, 61

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        rng = np.random.default_rng(7)
        n_rows = cls.n_chunk * (cls.n_ctx - 1 - cls.n_ctx // 2)
        cls.logits = rng.normal(0, 3, (n_rows, cls.n_vocab)).astype(np.float32)
        cls.model = (cls.logits +
                     rng.normal(0, 0.4, cls.logits.shape)).astype(np.float32)
        cls.model[5, 2] = np.nan  # one skipped token
        cls.tokens = rng.integers(0, cls.n_vocab, cls.n_ctx * cls.n_chunk,
                                  dtype=np.int32)
        cls.base_path = os.path.join(cls.tmp.name, "base.logits")
        cls.model_path = os.path.join(cls.tmp.name, "model.npy")
        kldkit.write_llama_file(cls.base_path, cls.n_ctx, cls.tokens,
                                cls.logits)
        np.save(cls.model_path, cls.model)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_version_matches_the_loaded_library(self):
        self.assertEqual(kldkit.__version__, "0.1.0")
        self.assertTrue(os.path.exists(kldkit.library_path))

    def test_report_equals_the_cpp_api_in_every_mode(self):
        for mode in ("llamacpp", "tail"):
            with self.subTest(mode=mode):
                report = compare_files(self.base_path, self.model_path, mode)
                self.assertEqual(report.json(),
                                 reference_json(self.base_path,
                                                self.model_path, mode))
                self.assertEqual(report.n_tokens, 139)
                self.assertEqual(report.n_skipped_model_nan, 1)
        # More threads: identical numbers.
        self.assertEqual(compare_files(self.base_path, self.model_path,
                                       threads=3).json(),
                         reference_json(self.base_path, self.model_path))

    def test_report_dataclass_holds_the_json_numbers(self):
        report = compare_files(self.base_path, self.model_path)
        data = json.loads(reference_json(self.base_path, self.model_path))
        self.assertEqual(report.n_tokens, data["counts"]["tokens"])
        self.assertEqual(report.n_same_top, data["counts"]["same_top"])
        self.assertEqual(report.ln_ppl.value,
                         data["perplexity"]["ln_ppl"]["value"])
        self.assertTrue(report.has_statistics)
        self.assertEqual(len(report.kld_percentiles), 9)
        self.assertEqual(len(report.dp_percentiles), 11)
        # An independent check of the mean KLD from the per-token results.
        report2, tokens = kldkit.compare(
            kldkit.Reader(self.base_path).rows(), self.model,
            kldkit.Reader(self.base_path).targets(), per_token=True)
        valid = (tokens["flags"] & 0x1E) == 0
        self.assertEqual(int(valid.sum()), report.n_tokens)
        self.assertAlmostEqual(float(tokens["kld"][valid].mean()),
                               report2.kld.value, places=12)
        self.assertEqual(report2.json(), report.json())

    def test_kldz_reads_like_the_llama_file(self):
        kldz = os.path.join(self.tmp.name, "base.kldz")
        self.assertEqual(kldkit.kldz_import(self.base_path, kldz,
                                            rows_per_block=16), 140)
        self.assertEqual(kldkit.kldz_verify(kldz), 140)
        with kldkit.Reader(kldz) as z, kldkit.Reader(self.base_path) as f:
            self.assertEqual(z.header.kind, "kldz")
            self.assertEqual(f.header.kind, "llamacpp")
            np.testing.assert_array_equal(z.rows(), f.rows())
            # Decoded on 3 threads, a range starting and ending inside a
            # block: the same rows as the llama.cpp file's.
            np.testing.assert_array_equal(z.rows(5, 100, threads=3),
                                          f.rows()[5:105])
            np.testing.assert_array_equal(z.row(139), f.rows()[139])
            for bad in (0, 65):
                with self.assertRaises(kldkit.Error) as e:
                    z.rows(0, 2, threads=bad)
                self.assertEqual(e.exception.status, kldkit.INVALID_ARGUMENT)
            np.testing.assert_array_equal(z.tokens(), self.tokens)
            np.testing.assert_array_equal(z.targets(), f.targets())
        self.assertEqual(compare_files(kldz, self.model_path).json(),
                         reference_json(kldz, self.model_path))
        back = os.path.join(self.tmp.name, "back.logits")
        self.assertEqual(kldkit.kldz_export(kldz, back), 140)
        with open(back, "rb") as a, open(self.base_path, "rb") as b:
            self.assertEqual(a.read(), b.read())
        # Decoded on 3 threads (9 blocks of 16 rows): the same file.
        back3 = os.path.join(self.tmp.name, "back3.logits")
        self.assertEqual(kldkit.kldz_export(kldz, back3, threads=3), 140)
        with open(back3, "rb") as a, open(self.base_path, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertEqual(kldkit.kldz_verify(kldz, threads=3), 140)
        for bad in (0, 65):
            with self.assertRaises(kldkit.Error) as e:
                kldkit.kldz_verify(kldz, threads=bad)
            self.assertEqual(e.exception.status, kldkit.INVALID_ARGUMENT)
            self.assertIn("[1, 64]", e.exception.message)
        rec = os.path.join(self.tmp.name, "rec.kldz")
        self.assertEqual(kldkit.kldz_recover(kldz, rec), 140)

    def test_kldz_metadata_round_trip(self):
        kldz = os.path.join(self.tmp.name, "meta.kldz")
        meta = {"model": "Qwen3.5-9B", "quant": "IQ4_XS", "dataset": "",
                "note": "\u0394p \u2264 1%", b"raw": b"\xff\x01"}
        self.assertEqual(kldkit.kldz_import(self.base_path, kldz,
                                            metadata=meta), 140)
        on_disk = {k if isinstance(k, bytes) else k.encode():
                   v if isinstance(v, bytes) else v.encode()
                   for k, v in meta.items()}
        on_disk[b"floor"] = b"16"  # the import records the rows' floor
        self.assertEqual(kldz_header_metadata(kldz), on_disk)
        with kldkit.Reader(kldz) as z:
            self.assertEqual(list(z.metadata), sorted(z.metadata))
            self.assertEqual(z.metadata["note"], "\u0394p \u2264 1%")
            self.assertEqual(z.metadata["raw"].encode("utf-8",
                                                      "surrogateescape"),
                             b"\xff\x01")
            self.assertEqual(len(z.metadata), 6)
        with kldkit.Reader(self.base_path) as f:
            self.assertEqual(f.metadata, {})
        # Without metadata, only the floor is stored.
        plain = os.path.join(self.tmp.name, "plain.kldz")
        kldkit.kldz_import(self.base_path, plain)
        self.assertEqual(kldz_header_metadata(plain), {b"floor": b"16"})

    def test_kldz_writer_rows_errors_and_no_partial_files(self):
        path = os.path.join(self.tmp.name, "w.kldz")
        logits = self.logits[:7]  # the first chunk
        with kldkit.KldzWriter(path, n_ctx=self.n_ctx, n_vocab=self.n_vocab,
                               tokens=self.tokens, metadata={"model": "m"},
                               keep="kld") as w:
            first = w.append_logits(logits[0].astype(np.float16))
            self.assertEqual(first.shape, (1,))
            w.append_logits(logits[1:7])
            bad = self.logits[7].copy()
            bad[3] = np.nan
            with self.assertRaises(kldkit.Error) as e:
                w.append_logits(bad)
            self.assertEqual(e.exception.status, kldkit.NON_FINITE)
            with kldkit.Reader(self.base_path) as base:
                w.append_rows(base.rows(7, 133))
        with kldkit.Reader(path) as z:
            self.assertEqual((z.header.n_rows, z.header.keep), (140, "kld"))
            self.assertEqual(z.metadata["model"], "m")
        # The log-sum-exp and NLL of a row, from numpy in float64.
        lse = np.log(np.sum(np.exp(np.float64(logits[2]))))
        target = self.tokens[self.n_ctx // 2 + 2 + 1]
        with kldkit.KldzWriter(path, n_ctx=self.n_ctx, n_vocab=self.n_vocab,
                               tokens=self.tokens, allow_partial=True) as w:
            r = w.append_logits(logits)
        self.assertAlmostEqual(r["log_sum_exp"][2], lse, places=5)
        self.assertAlmostEqual(r["nll"][2], lse - logits[2][target], places=4)
        # Rows missing: MISMATCH and no file; an exception: no file.
        os.remove(path)
        w = kldkit.KldzWriter(path, n_ctx=self.n_ctx, n_vocab=self.n_vocab,
                              tokens=self.tokens)
        w.append_logits(logits)
        with self.assertRaises(kldkit.Error) as e:
            w.close()
        self.assertEqual(e.exception.status, kldkit.MISMATCH)
        with self.assertRaises(kldkit.Error):
            w.append_logits(logits)  # closed
        with self.assertRaises(RuntimeError):
            with kldkit.KldzWriter(path, n_ctx=self.n_ctx,
                                   n_vocab=self.n_vocab,
                                   tokens=self.tokens) as w:
                w.append_logits(self.logits)
                raise RuntimeError("the run failed")
        self.assertFalse(os.path.exists(path))
        self.assertFalse(os.path.exists(path + ".tmp"))
        with self.assertRaises(ValueError):
            kldkit.KldzWriter(path, n_ctx=16, n_vocab=self.n_vocab,
                              tokens=self.tokens, keep="some")

    def test_keep_kld_base_gives_the_same_report(self):
        # Twice as wide as the shared base, so that rows hold codes between
        # the floor and the -16 cut for the profile to drop.
        wide = os.path.join(self.tmp.name, "wide.logits")
        kldkit.write_llama_file(wide, self.n_ctx, self.tokens,
                                2 * self.logits)
        kldz = os.path.join(self.tmp.name, "kept.kldz")
        self.assertEqual(kldkit.kldz_import(wide, kldz, keep="kld"), 140)
        with kldkit.Reader(kldz) as z, kldkit.Reader(wide) as f:
            self.assertEqual((z.header.keep, z.header.floor), ("kld", 16.0))
            self.assertEqual((f.header.keep, f.header.floor), ("all", 16.0))
            self.assertEqual(z.metadata["keep"], "kld")
            kept, full = z.rows(), f.rows()
        # Codes were dropped, and not one statistic moved.
        self.assertLess(np.count_nonzero(kept[:, 4:]),
                        np.count_nonzero(full[:, 4:]))
        self.assertEqual(compare_files(kldz, self.model_path).json(),
                         compare_files(wide, self.model_path).json())
        with self.assertRaises(ValueError):
            kldkit.kldz_import(self.base_path, kldz, keep="tail")

    def test_example_script_prints_the_report(self):
        script = os.path.join(HERE, os.pardir, "examples", "compare_files.py")
        out = subprocess.run(
            [sys.executable, script, self.base_path, self.model_path,
             "--threads", "2", "--worst", "3"],
            check=True, capture_output=True, text=True).stdout
        expected = compare_files(self.base_path, self.model_path)
        self.assertIn(expected.text(), out)
        self.assertIn("140 rows", out)
        self.assertEqual(out.count("\n  "), 3)  # the 3 worst tokens

    def test_accumulator_merge_serialize_and_text(self):
        base = kldkit.Reader(self.base_path)
        rows, targets = base.rows(), base.targets()
        whole = kldkit.compare(rows, self.model, targets)
        with kldkit.Accumulator() as a, kldkit.Accumulator() as b:
            kldkit.compare_into(a, rows[:60], self.model[:60], targets[:60],
                                n_vocab=self.n_vocab)
            kldkit.compare_into(b, rows[60:], self.model[60:], targets[60:],
                                n_vocab=self.n_vocab)
            a.merge(b)
            merged = a.report()
            self.assertEqual(merged.n_tokens, whole.n_tokens)
            self.assertAlmostEqual(merged.kld.value, whole.kld.value, 12)
            self.assertEqual(merged.kld_percentiles, whole.kld_percentiles)
            data = a.serialize()
            with kldkit.Accumulator.deserialize(data) as c:
                self.assertEqual(c.serialize(), data)
                c.decode_merge(data)
                self.assertEqual(c.report().n_tokens, 2 * whole.n_tokens)
            self.assertIn("====== KL divergence statistics ======", a.text())
            self.assertEqual(json.loads(a.json())["counts"]["tokens"],
                             whole.n_tokens)
            line = merged.chunk_line(3)
            self.assertTrue(line.endswith("\n"))
            self.assertTrue(kldkit.chunk_header())
        # Closed handle: CLOSED.
        with self.assertRaises(kldkit.Error) as e:
            a.report()
        self.assertEqual(e.exception.status, kldkit.CLOSED)
        # Different percentile modes do not merge.
        with kldkit.Accumulator("sketch") as s, kldkit.Accumulator() as x:
            with self.assertRaises(kldkit.Error) as e:
                x.merge(s)
            self.assertEqual(e.exception.status, kldkit.INCOMPATIBLE)
        base.close()

    def test_add_of_compare_row_dicts_equals_batch(self):
        base = kldkit.Reader(self.base_path)
        rows, targets = base.rows(), base.targets()
        results = [kldkit.compare_row(rows[i], self.model[i], targets[i])
                   for i in range(len(rows))]
        with kldkit.Accumulator() as a:
            a.add(results)
            self.assertEqual(a.report().json(),
                             kldkit.compare(rows, self.model, targets).json())
        base.close()

    def test_progress_and_cancel(self):
        n = 2000
        rng = np.random.default_rng(1)
        model = rng.normal(size=(n, 8)).astype(np.float32)
        base = rng.normal(size=(n, 8)).astype(np.float32)
        targets = np.zeros(n, dtype=np.int32)
        seen = []
        kldkit.compare(base, model, targets, mode="exact",
                       progress=lambda d, t: seen.append((d, t)))
        self.assertEqual(seen, [(256, n), (512, n), (768, n), (1024, n),
                                (1280, n), (1536, n), (1792, n), (n, n)])
        with self.assertRaises(kldkit.Error) as e:
            kldkit.compare(base, model, targets, mode="exact",
                           progress=lambda d, t: d >= 512)
        self.assertEqual(e.exception.status, kldkit.CANCELLED)

        def boom(d, t):
            raise KeyError("from the callback")
        with self.assertRaises(KeyError):
            kldkit.compare(base, model, targets, mode="exact", progress=boom)


class Kernels(unittest.TestCase):
    def test_log_softmax_against_float64(self):
        x = np.random.default_rng(2).normal(0, 4, 1001).astype(np.float32)
        x64 = x.astype(np.float64)
        ref = x64 - (x64.max() + math.log(np.exp(x64 - x64.max()).sum()))
        np.testing.assert_allclose(kldkit.log_softmax(x), ref, atol=2e-5)

    def test_quantize_round_trip(self):
        x = np.random.default_rng(3).normal(0, 4, 77).astype(np.float32)
        row = kldkit.quantize_row(x)
        self.assertEqual(row.size, 4 + 78)
        lp = kldkit.dequantize_row(row, 77)
        ref = kldkit.log_softmax(x)
        kept = ref > ref.max() - 16
        scale = row[:2].view(np.float32)[0]
        self.assertLessEqual(np.abs(lp[kept] - ref[kept]).max(),
                             scale / 2 + 1e-5)

    def test_compare_row_exact_against_float64(self):
        rng = np.random.default_rng(4)
        b = rng.normal(0, 2, 50).astype(np.float32)
        m = rng.normal(0, 2, 50).astype(np.float32)
        lb = b.astype(np.float64) - np.log(np.exp(b.astype(np.float64)).sum())
        lm = m.astype(np.float64) - np.log(np.exp(m.astype(np.float64)).sum())
        kld = float((np.exp(lb) * (lb - lm)).sum())
        r = kldkit.compare_row(b, m, 7, mode="exact")
        self.assertAlmostEqual(r["kld"], kld, places=5)
        self.assertAlmostEqual(r["nll"], -lm[7], places=5)
        self.assertEqual(r["top"], int(np.argmax(m)))
        self.assertEqual(r["top_base"], int(np.argmax(b)))


class Errors(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name, data=None):
        p = os.path.join(self.tmp.name, name)
        if data is not None:
            with open(p, "wb") as f:
                f.write(data)
        return p

    def assertStatus(self, status, fn, *args, **kwargs):
        with self.assertRaises(kldkit.Error) as e:
            fn(*args, **kwargs)
        self.assertEqual(e.exception.status, status, str(e.exception))
        self.assertTrue(e.exception.message)
        return e.exception

    def test_bad_files(self):
        e = self.assertStatus(kldkit.IO, kldkit.Reader, self.path("missing"))
        self.assertIn("missing", e.message)
        self.assertStatus(kldkit.FORMAT, kldkit.Reader,
                          self.path("junk", b"not a row file at all"))
        good = self.path("good.logits")
        rng = np.random.default_rng(0)
        kldkit.write_llama_file(good, 8, np.zeros(16, np.int32),
                                rng.normal(size=(6, 9)))
        with open(good, "rb") as f:
            data = f.read()
        cut = self.path("cut.logits", data[:-30])
        self.assertStatus(kldkit.TRUNCATED, kldkit.Reader, cut)
        # 6 rows of 28 bytes (vocab 9: 14 words); 30 bytes cut off the last
        # row and 2 of the fifth: 4 complete rows remain.
        with kldkit.Reader(cut, allow_truncated=True) as r:
            self.assertEqual(r.header.n_rows, 4)
            self.assertEqual(r.header.n_rows_expected, 6)
        self.assertStatus(kldkit.FORMAT, kldkit.kldz_verify, good)
        self.assertStatus(kldkit.FORMAT, kldkit.Accumulator.deserialize,
                          b"\0" * 32)

    def test_bad_arguments(self):
        self.assertStatus(kldkit.NON_FINITE, kldkit.quantize_row,
                          np.array([1.0, np.nan], np.float32))
        self.assertStatus(kldkit.INVALID_ARGUMENT, kldkit.quantize_row,
                          np.array([1.0, 2.0], np.float32), floor=-1)
        base = np.zeros((3, 4), np.float32)
        self.assertStatus(kldkit.MISMATCH, kldkit.compare, base, base,
                          [0, 1], mode="exact")
        self.assertStatus(kldkit.INVALID_ARGUMENT, kldkit.compare, base, base,
                          [0, 1, 4], mode="exact")
        self.assertStatus(kldkit.INVALID_ARGUMENT, kldkit.compare, base, base,
                          [0, 1, 2], threads=0, mode="exact")
        # A float base row where llama.cpp mode needs a llama.cpp row.
        self.assertStatus(kldkit.INVALID_ARGUMENT, kldkit.compare, base, base,
                          [0, 1, 2])
        self.assertStatus(kldkit.INVALID_ARGUMENT, kldkit.Accumulator,
                          "sketch", sketch_accuracy=0.5)
        with self.assertRaises(ValueError):  # caught before C: wrong width
            kldkit.compare(np.zeros((3, 7), np.uint16), base, [0, 1, 2])

    def test_bad_metadata(self):
        good = self.path("m.logits")
        kldkit.write_llama_file(good, 8, np.zeros(16, np.int32),
                                np.zeros((6, 9), np.float32))
        out = self.path("m.kldz")
        e = self.assertStatus(kldkit.INVALID_ARGUMENT, kldkit.kldz_import,
                              good, out, metadata={"": "v"})
        self.assertIn("empty", e.message)
        self.assertStatus(kldkit.INVALID_ARGUMENT, kldkit.kldz_import, good,
                          out, metadata={"k": "v" * (1 << 20)})
        with self.assertRaises(ValueError):  # C strings end at a NUL
            kldkit.kldz_import(good, out, metadata={"k": "a\0b"})
        self.assertFalse(os.path.exists(out))

    def test_missing_library_fails_at_import(self):
        env = dict(os.environ, KLDKIT_LIBRARY=self.path("nope.so"))
        out = subprocess.run(
            [sys.executable, "-c", "import kldkit"], env=env,
            cwd=os.path.join(HERE, os.pardir), capture_output=True, text=True)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("nope.so", out.stderr)


class Fixture(unittest.TestCase):
    """The real llama.cpp files: Python equals the C++ API exactly."""

    def fixture(self, name):
        p = os.path.join(FIXTURES, "llamacpp", name)
        if not os.path.exists(p):
            self.skipTest(f"fixture {name} not found under {FIXTURES}/llamacpp"
                          " (set KLDKIT_FIXTURES to shared/fixtures)")
        return p

    def test_llama_files_and_npy_match_cpp(self):
        base = self.fixture("v32k-c128x4-f16.logits")
        for model in ("v32k-c128x4-q8_0.logits", "v32k-c128x4-q8_0.f32.npy"):
            with self.subTest(model=model):
                m = self.fixture(model)
                report = compare_files(base, m, threads=2)
                self.assertEqual(report.json(), reference_json(base, m))
                self.assertGreaterEqual(report.n_tokens, 100)


    def cli_json(self, base, model, threads):
        cli = os.environ.get("KLDKIT_CLI")
        if not cli:
            self.skipTest("KLDKIT_CLI is not set (ctest sets it)")
        return subprocess.run([cli, "compare", base, model, "--json", "-q",
                               "-t", str(threads)], check=True,
                              capture_output=True, text=True).stdout

    def test_compare_files_equals_the_cli_byte_for_byte(self):
        base = self.fixture("v32k-c128x4-f16.logits")
        quant = self.fixture("v32k-c128x4-q8_0.logits")
        npy = self.fixture("v32k-c128x4-q8_0.f32.npy")
        with tempfile.TemporaryDirectory() as tmp:
            kldz = os.path.join(tmp, "base.kldz")
            kldkit.kldz_import(base, kldz)
            cases = [(b, m) for b in (base, kldz) for m in (npy, quant)]
            cases.append((npy, base))  # a float base
            for (b, m), threads in itertools.product(cases, (1, 2)):
                with self.subTest(base=b, model=m, threads=threads):
                    with warnings.catch_warnings(record=True) as said:
                        warnings.simplefilter("always")
                        [report] = kldkit.compare_files(b, m, threads=threads)
                    self.assertEqual(report.json(),
                                     self.cli_json(b, m, threads))
                    self.assertEqual(len(said), 1 if b == npy else 0)

    def test_kldz_writer_from_float_logits_is_llama_cpps_file(self):
        llama = self.fixture("v32k-c128x4-q8_0.logits")
        npy = self.fixture("v32k-c128x4-q8_0.f32.npy")
        logits = np.load(npy, mmap_mode="r")
        with kldkit.Reader(llama) as r:
            tokens = r.tokens()
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "q8.kldz")
            nll = []
            with kldkit.KldzWriter(out, n_ctx=128, n_vocab=32000,
                                   tokens=tokens, threads=2) as w:
                for first in range(0, 252, 63):  # chunk by chunk
                    rows = w.append_logits(logits[first:first + 63],
                                           strict=True)
                    nll.extend(rows["nll"])
            # v32k-c128x4-q8_0.base-run.txt: Final estimate: PPL = 9.9409
            self.assertEqual(f"{math.exp(np.mean(np.float64(nll))):.4f}",
                             "9.9409")
            back = os.path.join(tmp, "back.logits")
            kldkit.kldz_export(out, back)
            with open(back, "rb") as a, open(llama, "rb") as b:
                self.assertEqual(a.read(), b.read())
            imported = os.path.join(tmp, "imported.kldz")
            kldkit.kldz_import(llama, imported)
            with open(out, "rb") as a, open(imported, "rb") as b:
                self.assertEqual(a.read(), b.read())

    def test_compare_files_several_models_chunks_and_errors(self):
        base = self.fixture("v32k-c128x4-f16.logits")
        quant = self.fixture("v32k-c128x4-q8_0.logits")
        npy = self.fixture("v32k-c128x4-q8_0.f32.npy")
        chunks = []
        reports = kldkit.compare_files(
            base, npy, quant, percentiles="sketch",
            on_chunk=lambda c, running: chunks.append((c, running[1].n_tokens)))
        self.assertEqual(len(reports), 2)
        self.assertEqual(chunks, [(1, 63), (2, 126), (3, 189), (4, 252)])
        self.assertLess(reports[0].kld.value, reports[1].kld.value + 1)
        with self.assertRaises(kldkit.Error) as e:
            kldkit.compare_files(base, npy, progress=lambda d, t: True)
        self.assertEqual(e.exception.status, kldkit.CANCELLED)
        with self.assertRaises(ZeroDivisionError):
            kldkit.compare_files(base, npy, progress=lambda d, t: 1 / 0)
        with self.assertRaises(kldkit.Error) as e:
            kldkit.compare_files(base, "/nonexistent.npy")
        self.assertEqual(e.exception.status, kldkit.IO)
        with self.assertRaises(ValueError):
            kldkit.compare_files(base)

    def test_compare_files_saves_token_files(self):
        base = self.fixture("v32k-c128x4-f16.logits")
        quant = self.fixture("v32k-c128x4-q8_0.logits")
        npy = self.fixture("v32k-c128x4-q8_0.f32.npy")
        with tempfile.TemporaryDirectory() as tmp:
            one = os.path.join(tmp, "one.kldt")
            two = os.path.join(tmp, "two.kldt")
            kldkit.compare_files(base, npy, quant, save_tokens=[one, None])
            kldkit.compare_files(base, npy, threads=2, save_tokens=[two])
            with open(one, "rb") as a, open(two, "rb") as b:
                data = a.read()
                self.assertEqual(data[:8], b"KLDTOKEN")
                self.assertEqual(data, b.read())
            self.assertEqual(sorted(os.listdir(tmp)), ["one.kldt", "two.kldt"])
            gone = os.path.join(tmp, "gone.kldt")
            with self.assertRaises(kldkit.Error):
                kldkit.compare_files(base, npy, save_tokens=[gone],
                                     progress=lambda d, t: True)
            self.assertFalse(os.path.exists(gone))
            with self.assertRaises(ValueError):
                kldkit.compare_files(base, npy, save_tokens=[one, two])


if __name__ == "__main__":
    unittest.main()
