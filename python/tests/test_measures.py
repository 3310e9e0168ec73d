"""The measures beyond llama.cpp's against float64 numpy (docs/measures.md).

Two float files compared in --mode exact: the fixture's Q8_0 logits as the
base and a perturbed copy as the model. Every mean of the JSON report's
"measures" member must agree with numpy to 1e-6 relative plus 2e-8
absolute; rates, overlaps and bucket counts exactly; a bucket's mean KLD
(the KLD's own) to the KLD's documented accuracy. Needs the CLI
(KLDKIT_CLI, set by ctest) and the fixtures (KLDKIT_FIXTURES).
"""
import csv
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np

import kldkit

FIXTURES = os.environ.get(
    "KLDKIT_FIXTURES",
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                 "fixtures"))
EDGES = [0.0, 0.25, 0.5, 0.75, 0.95, 1.0]


def log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


def xlogy_ratio(a, la, lb):
    return np.where(a > 0, a * (la - lb), 0.0)


def reference(base, model, targets, ks):
    """Every measure per row, in float64, straight from the definitions."""
    lp, lq = log_softmax(base), log_softmax(model)
    p, q = np.exp(lp), np.exp(lq)
    m = (p + q) / 2
    with np.errstate(divide="ignore"):
        lm = np.log(m)
    out = {
        "reverse_kld": xlogy_ratio(q, lq, lp).sum(1),
        "jsd": 0.5 * (xlogy_ratio(p, lp, lm) + xlogy_ratio(q, lq, lm)).sum(1),
        "tvd": 0.5 * np.abs(p - q).sum(1),
        "entropy_base": -xlogy_ratio(p, lp, 0).sum(1),
        "entropy_model": -xlogy_ratio(q, lq, 0).sum(1),
        "kld": xlogy_ratio(p, lp, lq).sum(1),
    }
    order_b = np.argsort(-base, axis=1, kind="stable")
    order_q = np.argsort(-model, axis=1, kind="stable")
    for k in ks:
        out[f"overlap{k}"] = np.array([
            len(set(ob[:k]) & set(oq[:k])) / k
            for ob, oq in zip(order_b, order_q)])
    rows = np.arange(len(targets))
    out["rank_base"] = np.array([np.nonzero(o == t)[0][0]
                                 for o, t in zip(order_b, targets)])
    out["rank_model"] = np.array([np.nonzero(o == t)[0][0]
                                  for o, t in zip(order_q, targets)])
    out["p_top"] = p[rows, order_b[:, 0]]
    out["same_top"] = order_b[:, 0] == order_q[:, 0]
    return out


class MeasuresAgainstNumpy(unittest.TestCase):
    def setUp(self):
        self.cli = os.environ.get("KLDKIT_CLI")
        d = os.path.join(FIXTURES, "llamacpp")
        self.npy = os.path.join(d, "v32k-c128x4-q8_0.f32.npy")
        self.tokens = os.path.join(d, "v32k-c128x4-f16.logits")
        if not os.path.exists(self.npy) or not os.path.exists(self.tokens):
            self.skipTest(f"fixtures not found under {d} "
                          "(set KLDKIT_FIXTURES to shared/fixtures)")

    def run_cli(self, base, model, dump):
        if not self.cli:
            self.skipTest("KLDKIT_CLI is not set (ctest sets it)")
        out = subprocess.run(
            [self.cli, "compare", "-q", "--mode", "exact", "--json",
             "--measures", "all", "--top-k", "5,10,3", "--tokens",
             self.tokens, "--dump-tokens", dump, base, model],
            check=True, capture_output=True, text=True).stdout
        return json.loads(out)["measures"]

    def test_exact_mode_means_agree_with_float64_numpy(self):
        base = np.load(self.npy)
        rng = np.random.default_rng(7)
        model = (base + rng.normal(0, 0.05, base.shape)).astype(np.float32)
        with tempfile.TemporaryDirectory() as tmp:
            b, m = os.path.join(tmp, "base.npy"), os.path.join(tmp, "model.npy")
            dump = os.path.join(tmp, "tokens.csv")
            np.save(b, base)
            np.save(m, model)
            got = self.run_cli(b, m, dump)
            with open(dump) as f:
                rows = list(csv.DictReader(f))
        targets = np.array([int(r["token"]) for r in rows])
        order = np.array([int(r["row"]) for r in rows])
        want = reference(base[order], model[order], targets, (5, 10, 3))

        def close(name, got_mean, values):
            w = float(values.mean())
            self.assertLessEqual(abs(got_mean - w), 1e-6 * abs(w) + 2e-8,
                                 f"{name}: kldkit {got_mean!r}, numpy {w!r}")

        for name in ("reverse_kld", "jsd", "tvd", "entropy_base",
                     "entropy_model"):
            close(name, got[name]["mean"], want[name])
            self.assertEqual(got[name]["tokens"], len(targets))
        self.assertLessEqual(max(got["jsd"]["max"], 0), np.log(2))
        for k in (5, 10, 3):
            close(f"top-{k}", got["top_k_overlap"][str(k)]["mean"],
                  want[f"overlap{k}"])
        for k in (1, 5, 10):
            rates = got["target_in_top_k"][str(k)]
            self.assertEqual(rates["base"], np.mean(want["rank_base"] < k))
            self.assertEqual(rates["model"], np.mean(want["rank_model"] < k))
        buckets = np.digitize(want["p_top"], EDGES[1:-1])
        for i, b in enumerate(got["confidence_buckets"]):
            self.assertEqual((b["lower"], b["upper"]), (EDGES[i], EDGES[i + 1]))
            inside = buckets == i
            self.assertEqual(b["tokens"], int(inside.sum()))
            if inside.any():
                # The KLD's own accuracy (kernels.hpp: 1e-6 or 1e-4 of a
                # token's KLD; ~2e-7 on this pair's peaked rows), which a
                # bucket of a few tokens does not average away.
                w = float(want["kld"][inside].mean())
                self.assertLessEqual(abs(b["mean_kld"] - w),
                                     max(1e-6, 1e-4 * w))
                self.assertAlmostEqual(b["same_top"],
                                       want["same_top"][inside].mean(), 12)


class PythonApi(unittest.TestCase):
    """The bindings' measures: the same numbers as the JSON report, a row's
    values against numpy, options checked."""

    def test_compare_files_measures_equal_the_json_report(self):
        d = os.path.join(FIXTURES, "llamacpp")
        base = os.path.join(d, "v32k-c128x4-f16.logits")
        npy = os.path.join(d, "v32k-c128x4-q8_0.f32.npy")
        if not os.path.exists(base) or not os.path.exists(npy):
            self.skipTest(f"fixtures not found under {d}")
        [r] = kldkit.compare_files(base, npy, measures="all", top_k=(5, 3))
        j = json.loads(r.json())["measures"]
        self.assertEqual(r.measures["reverse_kld"].mean, j["reverse_kld"]["mean"])
        self.assertEqual(r.measures["jsd"].percentiles[0.999],
                         j["jsd"]["percentiles"]["99.9"])
        self.assertEqual(sorted(r.measures["top_k_overlap"]), [3, 5])
        self.assertEqual(r.measures["top_k_overlap"][3].mean,
                         j["top_k_overlap"]["3"]["mean"])
        self.assertEqual(r.measures["target_in_top_k"][10].model,
                         j["target_in_top_k"]["10"]["model"])
        self.assertEqual([b.tokens for b in r.measures["confidence_buckets"]],
                         [b["tokens"] for b in j["confidence_buckets"]])
        [plain] = kldkit.compare_files(base, npy)
        self.assertEqual(plain.measures, {})
        self.assertEqual(plain.kld, r.kld)

    def test_compare_row_values_against_numpy(self):
        rng = np.random.default_rng(3)
        x = rng.normal(0, 2, 5000).astype(np.float32)
        y = (x + rng.normal(0, 0.1, 5000)).astype(np.float32)
        got = kldkit.compare_row(x, y, 11, mode="exact", measures="all",
                                 top_k=(4,))["values"]
        w = reference(x[None], y[None], np.array([11]), (4,))
        self.assertAlmostEqual(got["reverse_kld"], w["reverse_kld"][0],
                               delta=1e-6 * w["reverse_kld"][0] + 2e-8)
        self.assertAlmostEqual(got["jsd"], w["jsd"][0],
                               delta=1e-6 * w["jsd"][0] + 2e-8)
        self.assertEqual(got["top_k_overlap"], {4: w["overlap4"][0]})
        self.assertEqual(got["target_in_top_k"],
                         (w["rank_base"][0], w["rank_model"][0]))
        self.assertAlmostEqual(got["confidence_buckets"], w["p_top"][0],
                               delta=1e-7)

    def test_accumulators_keep_and_check_their_measures(self):
        rng = np.random.default_rng(4)
        x = rng.normal(0, 2, (8, 300)).astype(np.float32)
        y = (x + rng.normal(0, 0.1, x.shape)).astype(np.float32)
        t = np.arange(8, dtype=np.int32)
        a = kldkit.Accumulator(measures=["tvd", "jsd"])
        kldkit.compare_into(a, x, y, t, mode="exact")
        back = kldkit.Accumulator.deserialize(a.serialize())
        self.assertEqual(back.report().measures, a.report().measures)
        self.assertEqual(sorted(a.report().measures), ["jsd", "tvd"])
        with self.assertRaises(kldkit.Error) as e:
            a.merge(kldkit.Accumulator(measures="tvd"))
        self.assertEqual(e.exception.status, kldkit.INCOMPATIBLE)
        with self.assertRaises(ValueError):
            kldkit.Accumulator(measures=["kl2"])
        with self.assertRaises(kldkit.Error) as e:
            kldkit.Accumulator(measures="top_k_overlap", top_k=(40,))
        self.assertEqual(e.exception.status, kldkit.INVALID_ARGUMENT)


if __name__ == "__main__":
    unittest.main()
