"""numpy arrays as C rows, zero-copy: the C side reads the array's own
buffer through ctypes pointers, so inputs are only converted (copied) when
their dtype or layout is not one the C ABI takes."""
import ctypes

import numpy as np

from . import _lib

# numpy dtype -> kldkit_row_type of a float row. f16 is IEEE half.
_FLOAT_TYPES = {np.dtype(np.float32): _lib.ROW_F32,
                np.dtype(np.float16): _lib.ROW_F16}

TOKEN_RESULT_DTYPE = np.dtype(_lib.TokenResult)


def ptr(array):
    return array.ctypes.data_as(ctypes.c_void_p)


def float_rows(array, name):
    """A float array (n_vocab,) or (n, n_vocab) as (array, row type); f32
    and f16 pass as they are, other floats become f32."""
    a = np.asarray(array)
    if a.dtype not in _FLOAT_TYPES:
        if a.dtype.kind not in "fiu":
            raise TypeError(f"{name}: expected float logits, got {a.dtype}")
        a = a.astype(np.float32)
    a = np.ascontiguousarray(a)
    return a, _FLOAT_TYPES[a.dtype]


def vocab_of(arrays, n_vocab):
    """n_vocab given, or the last dimension of the first float array (a
    llama.cpp row's length does not tell an odd vocabulary from an even
    one)."""
    if n_vocab is not None:
        return int(n_vocab)
    for a in arrays:
        if np.asarray(a).dtype != np.uint16:
            return np.asarray(a).shape[-1]
    raise ValueError("n_vocab is needed when every row is a llama.cpp "
                     "(uint16) row")


def rows_of(array, name, n_vocab):
    """A row array as (contiguous array, kldkit_row_type): uint16 arrays are
    llama.cpp rows, floats are logits."""
    a = np.asarray(array)
    if a.dtype == np.uint16:
        words = _lib.lib.kldkit_llama_row_words(n_vocab)
        if a.shape[-1] != words:
            raise ValueError(f"{name}: llama.cpp rows of {a.shape[-1]} "
                             f"words, expected {words} for n_vocab "
                             f"{n_vocab}")
        return np.ascontiguousarray(a), _lib.ROW_LLAMA_U16
    a, row_type = float_rows(a, name)
    if a.shape[-1] != n_vocab:
        raise ValueError(f"{name}: rows of {a.shape[-1]} logits, expected "
                         f"{n_vocab}")
    return a, row_type


def c_row(array, row_type, n_vocab):
    return _lib.Row(ptr(array), n_vocab, row_type)


def c_batch(array, row_type, n_vocab, name):
    if array.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array of rows, got shape "
                         f"{array.shape}")
    return _lib.RowBatch(ptr(array), array.shape[0], n_vocab,
                         array.strides[0], row_type)
