"""Reports, accumulators and batch comparison over the C ABI."""
import ctypes
import dataclasses
import weakref
from typing import Tuple

import numpy as np

from . import _arrays
from . import _kernels
from . import _lib
from . import _measures

PERCENTILE_MODES = {"exact": 0, "sketch": 1}
KLD_PERCENTILES = (0.999, 0.99, 0.95, 0.90, 0.5, 0.10, 0.05, 0.01, 0.001)
DP_PERCENTILES = (0.999, 0.99, 0.95, 0.90, 0.75, 0.5, 0.25, 0.10, 0.05, 0.01,
                  0.001)


@dataclasses.dataclass(frozen=True)
class Estimate:
    value: float
    uncertainty: float


@dataclasses.dataclass(frozen=True)
class Report:
    """The fields of kldkit_report (llama.cpp's final block); probabilities
    and dp are fractions, ln values in nats. kld_percentiles and
    dp_percentiles follow KLD_PERCENTILES and DP_PERCENTILES."""
    percentile_mode: int
    has_statistics: bool
    has_percentiles: bool
    sketch_relative_accuracy: float
    n_tokens: int
    n_skipped: int
    n_skipped_model_nan: int
    n_skipped_model_inf: int
    n_skipped_model_empty: int
    n_skipped_base: int
    n_skipped_non_finite: int
    n_same_top: int
    ln_ppl: Estimate
    ln_ppl_base: Estimate
    ln_ppl_covariance: float
    ln_ppl_correlation: float
    ppl: Estimate
    ppl_base: Estimate
    ln_ppl_ratio: Estimate
    ppl_ratio: Estimate
    ppl_diff: Estimate
    kld: Estimate
    kld_max: float
    kld_min: float
    kld_percentiles: Tuple[float, ...]
    dp: Estimate
    dp_max: float
    dp_min: float
    dp_max_abs: float
    dp_percentiles: Tuple[float, ...]
    dp_rms: Estimate
    same_top: Estimate
    # The measures asked for, by name (kldkit.measure_table()), shaped as
    # the JSON report's "measures" member; {} when none was.
    measures: dict = dataclasses.field(default_factory=dict)
    _c: object = dataclasses.field(default=None, repr=False, compare=False)

    @classmethod
    def _from_c(cls, c):
        values = {"measures": _measures.report_measures(
            c, bool(c.has_percentiles))}
        for f in dataclasses.fields(cls):
            if f.name in values or f.name == "_c":
                continue
            v = getattr(c, f.name)
            if isinstance(v, _lib.Estimate):
                v = Estimate(v.value, v.uncertainty)
            elif f.name.startswith("has_"):
                v = bool(v)
            elif f.name.endswith("_percentiles"):
                v = tuple(v)
            values[f.name] = v
        return cls(_c=c, **values)

    def text(self):
        """llama.cpp's final statistics blocks."""
        return _lib.text_out(_lib.lib.kldkit_render_text, ctypes.byref(self._c))

    def json(self):
        """Every field as JSON, schema kldkit.report version 1."""
        return _lib.text_out(_lib.lib.kldkit_render_json, ctypes.byref(self._c))

    def chunk_line(self, chunk):
        """llama.cpp's per-chunk line, read as running totals."""
        return _lib.text_out(_lib.lib.kldkit_render_chunk_line, int(chunk),
                             ctypes.byref(self._c))


def chunk_header():
    return _lib.text_out(_lib.lib.kldkit_render_chunk_header)


class Accumulator:
    """kldkit_accumulator: folds token results into a Report; mergeable and
    serialisable. Close it with close(), a with-block, or let the finalizer
    do it."""

    def __init__(self, percentiles="exact", sketch_accuracy=1e-3,
                 measures=None, top_k=None, _handle=None):
        """measures: None, "all", or measure names (kldkit.measure_table());
        top_k: the K of top_k_overlap (default (5, 10))."""
        if _handle is None:
            opt = _lib.new(_lib.AccumulatorOptions,
                           percentile_mode=PERCENTILE_MODES[percentiles],
                           sketch_relative_accuracy=sketch_accuracy,
                           measures=_measures.measure_mask(measures),
                           top_k=_measures.top_k_array(top_k))
            handle = ctypes.c_void_p()
            _lib.check(_lib.lib.kldkit_accumulator_create(
                ctypes.byref(handle), ctypes.byref(opt)))
            _handle = handle
        self._handle = _handle
        self._finalizer = weakref.finalize(
            self, _lib.lib.kldkit_accumulator_free, _handle)

    def close(self):
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def handle(self):
        if not self._finalizer.alive:
            raise _lib.Error(_lib.CLOSED, "the accumulator is closed")
        return self._handle

    def add(self, results):
        """Folds token results: a TOKEN_RESULT_DTYPE array (as compare()
        returns with per_token=True) or dicts from compare_row()."""
        if not isinstance(results, np.ndarray):
            results = np.array([tuple([_arrays.TOKEN_RESULT_DTYPE.itemsize] +
                                      [r[n] for n in _arrays.TOKEN_RESULT_DTYPE
                                       .names[1:]]) for r in results],
                               dtype=_arrays.TOKEN_RESULT_DTYPE)
        if results.dtype != _arrays.TOKEN_RESULT_DTYPE:
            raise TypeError("results: expected kldkit.TOKEN_RESULT_DTYPE")
        results = np.ascontiguousarray(results)
        _lib.check(_lib.lib.kldkit_accumulator_add(
            self.handle, _arrays.ptr(results), results.size))

    def merge(self, other):
        _lib.check(_lib.lib.kldkit_accumulator_merge(self.handle,
                                                     other.handle))

    def serialize(self):
        size = ctypes.c_size_t(0)
        _lib.check(_lib.lib.kldkit_accumulator_serialize(
            None, 0, ctypes.byref(size), self.handle))
        buf = ctypes.create_string_buffer(size.value)
        _lib.check(_lib.lib.kldkit_accumulator_serialize(
            buf, size.value, ctypes.byref(size), self.handle))
        return buf.raw[:size.value]

    @classmethod
    def deserialize(cls, data):
        data = bytes(data)
        handle = ctypes.c_void_p()
        _lib.check(_lib.lib.kldkit_accumulator_deserialize(
            ctypes.byref(handle), data, len(data)))
        return cls(_handle=handle)

    def decode_merge(self, data):
        data = bytes(data)
        _lib.check(_lib.lib.kldkit_accumulator_decode_merge(
            self.handle, data, len(data)))

    def report(self, with_percentiles=True):
        c = _lib.new(_lib.CReport)
        _lib.check(_lib.lib.kldkit_accumulator_report(
            ctypes.byref(c), self.handle, int(with_percentiles)))
        return Report._from_c(c)

    def text(self):
        return self.report().text()

    def json(self):
        return self.report().json()


def compare_into(accumulator, base_rows, model_rows, targets, mode="llamacpp",
                 threads=1, n_vocab=None, per_token=False, progress=None):
    """Compares row i of base_rows with row i of model_rows for token
    targets[i], folding into `accumulator` (and computing its measures). Returns the per-token results
    (a TOKEN_RESULT_DTYPE array) when per_token, else None. progress(done,
    total) may return True to cancel (kldkit.Error with status CANCELLED)."""
    nv = _arrays.vocab_of((model_rows, base_rows), n_vocab)
    b, bt = _arrays.rows_of(base_rows, "base_rows", nv)
    m, mt = _arrays.rows_of(model_rows, "model_rows", nv)
    t = np.ascontiguousarray(targets, dtype=np.int32)
    if t.ndim != 1:
        raise ValueError("targets: expected a 1-D array of token ids")
    bb = _arrays.c_batch(b, bt, nv, "base_rows")
    mb = _arrays.c_batch(m, mt, nv, "model_rows")
    opt = _lib.new(_lib.BatchOptions, threads=int(threads),
                   mode=_kernels.mode_value(mode))
    errors = []
    if progress is not None:
        def on_progress(_user, done, total):
            try:
                return 1 if progress(done, total) else 0
            except BaseException as e:  # never unwind through C
                errors.append(e)
                return 1
        callback = _lib.PROGRESS_FN(on_progress)
        opt.progress = callback
    results = None
    if per_token:
        results = np.zeros(t.size, dtype=_arrays.TOKEN_RESULT_DTYPE)
        results["struct_size"] = _arrays.TOKEN_RESULT_DTYPE.itemsize
    status = _lib.lib.kldkit_compare_batch(
        accumulator.handle, None if results is None else _arrays.ptr(results),
        0 if results is None else results.size, ctypes.byref(bb),
        ctypes.byref(mb), _arrays.ptr(t), t.size, ctypes.byref(opt))
    if errors:
        raise errors[0]
    _lib.check(status)
    return results


def compare(base_rows, model_logits, targets, mode="llamacpp", threads=1,
            percentiles="exact", n_vocab=None, per_token=False, progress=None,
            measures=None, top_k=None):
    """One-shot comparison: returns the Report (and the per-token results as
    a second value when per_token). measures, top_k: as Accumulator's."""
    with Accumulator(percentiles, measures=measures, top_k=top_k) as acc:
        results = compare_into(acc, base_rows, model_logits, targets, mode,
                               threads, n_vocab, per_token, progress)
        report = acc.report()
    return (report, results) if per_token else report
