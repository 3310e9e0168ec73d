"""Row helpers: log_softmax, quantize_row (to a llama.cpp row), compare_row."""
import ctypes

import numpy as np

from . import _arrays
from . import _lib
from . import _measures

COMPARE_MODES = {"llamacpp": 0, "tail": 1, "exact": 2}


def mode_value(mode):
    if isinstance(mode, int):
        return mode
    try:
        return COMPARE_MODES[mode]
    except KeyError:
        raise ValueError(f"unknown compare mode {mode!r}: one of "
                         f"{sorted(COMPARE_MODES)}") from None


def log_softmax(logits):
    """Log-probabilities of one float row, as float32."""
    a, row_type = _arrays.float_rows(logits, "logits")
    if a.ndim != 1:
        raise ValueError("log_softmax takes one row (a 1-D array)")
    out = np.empty(a.shape[0], dtype=np.float32)
    row = _arrays.c_row(a, row_type, a.shape[0])
    _lib.check(_lib.lib.kldkit_log_softmax(_arrays.ptr(out), out.size,
                                           ctypes.byref(row)))
    return out


def quantize_row(logits, floor=16.0, strict=False):
    """Float logits -> a llama.cpp row (uint16 words), as llama-perplexity
    --kl-divergence-base stores it."""
    a, row_type = _arrays.float_rows(logits, "logits")
    if a.ndim != 1:
        raise ValueError("quantize_row takes one row (a 1-D array)")
    words = _lib.lib.kldkit_llama_row_words(a.shape[0])
    out = np.empty(words, dtype=np.uint16)
    row = _arrays.c_row(a, row_type, a.shape[0])
    opt = _lib.new(_lib.QuantizeOptions, floor=floor, strict=int(strict))
    _lib.check(_lib.lib.kldkit_quantize_row(_arrays.ptr(out), words,
                                            ctypes.byref(row),
                                            ctypes.byref(opt)))
    return out


def dequantize_row(row, n_vocab):
    """Log-probabilities stored in a llama.cpp row."""
    r = np.ascontiguousarray(row, dtype=np.uint16)
    out = np.empty(n_vocab, dtype=np.float32)
    _lib.check(_lib.lib.kldkit_dequantize_row(_arrays.ptr(out), n_vocab,
                                              _arrays.ptr(r), r.size,
                                              n_vocab))
    return out


def compare_row(base, model, target, mode="llamacpp", n_vocab=None,
                measures=None, top_k=None):
    """Compares one base row (llama.cpp uint16 row, or floats in "exact"
    mode) with one model row for token `target`; returns a dict of the
    kldkit_token_result fields. measures ("all" or names) and top_k: the
    measures to compute, whose values are then under "values" by name
    (kldkit.measure_table())."""
    nv = _arrays.vocab_of((model, base), n_vocab)
    b, bt = _arrays.rows_of(base, "base", nv)
    m, mt = _arrays.rows_of(model, "model", nv)
    result = _lib.new(_lib.TokenResult)
    opt = _lib.new(_lib.CompareOptions, mode=mode_value(mode),
                   extras=_measures.measure_mask(measures),
                   top_k=_measures.top_k_array(top_k))
    br, mr = _arrays.c_row(b, bt, nv), _arrays.c_row(m, mt, nv)
    _lib.check(_lib.lib.kldkit_compare_row(
        ctypes.byref(result), None, 0, ctypes.byref(br), ctypes.byref(mr),
        int(target), ctypes.byref(opt)))
    out = {name: getattr(result, name)
           for name, _ in _lib.TokenResult._fields_ if name != "struct_size"}
    out["measures"] = tuple(out["measures"])
    out["values"] = _measures.token_values(result, opt.top_k)
    return out
