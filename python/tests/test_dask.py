"""kldkit.dask on a two-process LocalCluster: its reports are
kldkit.compare_files's, to the byte, however the chunks are split.

Skips when `distributed` (Debian: python3-distributed) is not importable;
the fixture tests skip when $KLDKIT_FIXTURES/llamacpp is absent.
"""
import os
import shutil
import sys
import tempfile
import unittest
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.join(HERE, os.pardir)
sys.path.insert(0, PACKAGE_DIR)
import kldkit  # noqa: E402
import kldkit.dask  # noqa: E402  (does not import dask)
import test_kldkit  # noqa: E402  (a module: its tests do not run here)

try:
    import distributed
except ImportError as e:
    distributed = None
    MISSING = (f"distributed is not importable ({e}): apt install "
               "python3-distributed to run the kldkit.dask tests")

FIXTURES = os.environ.get(
    "KLDKIT_FIXTURES",
    os.path.join(HERE, os.pardir, os.pardir, os.pardir, "shared", "fixtures"))
BASE, QUANT, NPY = ("v32k-c128x4-f16.logits", "v32k-c128x4-q8_0.logits",
                    "v32k-c128x4-q8_0.f32.npy")

cluster = client = None


def setUpModule():
    global cluster, client
    if distributed is None:
        raise unittest.SkipTest(MISSING)
    warnings.filterwarnings("ignore", "make_current is deprecated",
                            DeprecationWarning)  # tornado, under distributed
    # Worker processes import kldkit.dask themselves: give them this tree.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [PACKAGE_DIR, os.environ.get("PYTHONPATH")]))
    cluster = distributed.LocalCluster(n_workers=2, processes=True,
                                       threads_per_worker=1,
                                       dashboard_address=None)
    client = distributed.Client(cluster)


def tearDownModule():
    if client is not None:
        client.close()
        cluster.close()


def dask_compare(*args, **kw):
    return kldkit.dask.compare_files(client, *args, **kw)


class Fixture(unittest.TestCase):
    """The real llama.cpp files (4 chunks of 63 rows, n_vocab 32000)."""

    fixture = test_kldkit.Fixture.fixture  # the path, or a skip

    def assertSameReports(self, want, got):
        self.assertEqual(len(want), len(got))
        for w, g in zip(want, got):
            self.assertEqual(w.text(), g.text())
            self.assertEqual(w.json(), g.json())

    def test_reports_equal_compare_files(self):
        base, quant, npy = map(self.fixture, (BASE, QUANT, NPY))
        # 1 chunk per task; 3 does not divide 4 chunks; None: the default.
        for percentiles in ("exact", "sketch"):
            want = kldkit.compare_files(base, quant, npy,
                                        percentiles=percentiles)
            for per_task in (1, 3, None):
                with self.subTest(percentiles=percentiles, per_task=per_task):
                    self.assertSameReports(want, dask_compare(
                        base, quant, npy, percentiles=percentiles,
                        chunks_per_task=per_task))

    def test_measures_and_a_kldz_base(self):
        base, npy = self.fixture(BASE), self.fixture(NPY)
        with tempfile.TemporaryDirectory() as tmp:
            kldz = os.path.join(tmp, "base.kldz")
            kldkit.kldz_import(base, kldz, rows_per_block=16)
            want = kldkit.compare_files(kldz, npy, measures="all")
            self.assertSameReports(want, dask_compare(
                kldz, npy, measures="all", chunks_per_task=3, threads=2))

    def test_truncated_model_is_refused_naming_it(self):
        base, quant = self.fixture(BASE), self.fixture(QUANT)
        with tempfile.TemporaryDirectory() as tmp:
            cut = os.path.join(tmp, "cut.logits")
            with open(quant, "rb") as f, open(cut, "wb") as out:
                out.write(f.read(os.path.getsize(quant) // 2))
            with self.assertRaises(kldkit.Error) as said:
                dask_compare(base, cut)
            self.assertEqual(said.exception.status, kldkit.TRUNCATED)
            self.assertIn(cut, str(said.exception))

    def test_failing_task_names_its_chunks_and_file(self):
        base, quant = self.fixture(BASE), self.fixture(QUANT)
        with tempfile.TemporaryDirectory() as tmp:
            kldz = os.path.join(tmp, "quant.kldz")
            kldkit.kldz_import(quant, kldz, rows_per_block=16)
            # Flip a byte in the last chunk's blocks: the file still opens,
            # only the task reading that chunk fails.
            with open(kldz, "r+b") as f:
                f.seek(os.path.getsize(kldz) * 9 // 10)
                byte = f.read(1)
                f.seek(-1, os.SEEK_CUR)
                f.write(bytes([byte[0] ^ 0xFF]))
            with self.assertRaises(kldkit.Error) as said:
                dask_compare(base, kldz, chunks_per_task=1)
            self.assertEqual(said.exception.status, kldkit.CHECKSUM)
            self.assertIn(f"chunks 3:4: {kldz}", str(said.exception))


class Generated(unittest.TestCase):
    """Float logits on both sides, token ids from an int32 .npy."""

    def test_exact_mode_with_token_file(self):
        rng = np.random.default_rng(3)
        n_ctx, n_chunk, n_vocab = 16, 5, 40
        rows = n_chunk * (n_ctx - 1 - n_ctx // 2)
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        paths = [os.path.join(tmp, n) for n in ("tokens.npy", "a.npy",
                                                "b.npy")]
        np.save(paths[0], rng.integers(0, n_vocab, (n_chunk, n_ctx),
                                       dtype=np.int32))
        logits = rng.normal(0, 3, (rows, n_vocab)).astype(np.float32)
        np.save(paths[1], logits)
        np.save(paths[2], logits + rng.normal(0, 0.3, logits.shape)
                .astype(np.float32))
        want = kldkit.compare_files(paths[1], paths[2], mode="exact",
                                    tokens=paths[0])
        got = dask_compare(paths[1], paths[2], mode="exact", tokens=paths[0],
                           chunks_per_task=2)
        self.assertEqual(want[0].text(), got[0].text())
        self.assertEqual(want[0].json(), got[0].json())
        with self.assertRaises(kldkit.Error) as said:  # no side has tokens
            dask_compare(paths[1], paths[2], mode="exact")
        self.assertEqual(said.exception.status, kldkit.INVALID_ARGUMENT)


if __name__ == "__main__":
    unittest.main()
