"""Loading libkldkit and declaring the C ABI (capi/kldkit.h) for ctypes.

Every function the bindings call is declared here with its argtypes and
restype; structs mirror the header field by field.
"""
import ctypes
import ctypes.util
import os

# The header version these bindings were written against (KLDKIT_VERSION_*).
VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH = 0, 1, 0
VERSION_NUMBER = VERSION_MAJOR * 10000 + VERSION_MINOR * 100 + VERSION_PATCH
ABI_VERSION = 0

# kldkit_status values (pinned in the header).
OK = 0
INVALID_ARGUMENT = 1
NON_FINITE = 2
OUT_OF_MEMORY = 3
IO = 4
FORMAT = 5
TRUNCATED = 6
CHECKSUM = 7
MISMATCH = 8
INCOMPATIBLE = 9
UNSUPPORTED = 10
CANCELLED = 11
CLOSED = 12
INTERNAL = 13

ROW_F32, ROW_F16, ROW_BF16, ROW_LLAMA_U16 = 0, 1, 2, 3
FILE_LLAMACPP, FILE_NPY, FILE_KLDZ = 1, 2, 3
KEEP_PROFILES = {"all": 0, "kld": 1}  # kldkit_keep_profile
TOKEN_INVALID_MASK = 0x1E


class Error(Exception):
    """A failing kldkit call: `status` (an int, e.g. kldkit.FORMAT), its
    name in `status_name`, and the library's one-line message."""

    def __init__(self, status, message):
        self.status = status
        self.message = message
        super().__init__(f"{message} [{status_name(status)}]")


class Row(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("n_vocab", ctypes.c_size_t),
                ("type", ctypes.c_uint32)]


class RowBatch(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("n_rows", ctypes.c_size_t),
                ("n_vocab", ctypes.c_size_t),
                ("stride_bytes", ctypes.c_size_t), ("type", ctypes.c_uint32)]


MEASURE_SLOTS = 16
MAX_TOP_K_COUNT = 4
MAX_TOP_K = 32
MAX_MEASURE_STATS = 48
# kldkit_measure_kind
MEASURE_MEAN = 0
MEASURE_MEAN_PERCENTILES = 1
MEASURE_PER_K = 2
MEASURE_TARGET_RANK = 3
MEASURE_BUCKETS = 4


class TokenResult(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("kld", ctypes.c_double),
                ("nll", ctypes.c_float), ("nll_base", ctypes.c_float),
                ("p", ctypes.c_float), ("p_base", ctypes.c_float),
                ("dp", ctypes.c_float), ("top", ctypes.c_int32),
                ("top_base", ctypes.c_int32), ("flags", ctypes.c_uint32),
                ("measures_mask", ctypes.c_uint32),
                ("measures", ctypes.c_double * MEASURE_SLOTS)]


class QuantizeOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("floor", ctypes.c_float),
                ("strict", ctypes.c_uint32)]


class CompareOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("mode", ctypes.c_uint32),
                ("extras", ctypes.c_uint32),
                ("top_k", ctypes.c_uint32 * MAX_TOP_K_COUNT)]


class ReaderOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t),
                ("allow_truncated", ctypes.c_uint32)]


class ReaderInfo(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("kind", ctypes.c_uint32),
                ("row_type", ctypes.c_uint32), ("n_ctx", ctypes.c_uint32),
                ("n_chunk", ctypes.c_int32), ("n_vocab", ctypes.c_uint64),
                ("n_rows", ctypes.c_uint64),
                ("n_rows_expected", ctypes.c_uint64),
                ("row_len", ctypes.c_uint64), ("n_tokens", ctypes.c_uint64),
                ("keep", ctypes.c_uint32), ("floor", ctypes.c_float)]


class AccumulatorOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t),
                ("percentile_mode", ctypes.c_uint32),
                ("sketch_relative_accuracy", ctypes.c_double),
                ("measures", ctypes.c_uint32),
                ("top_k", ctypes.c_uint32 * MAX_TOP_K_COUNT)]


class Estimate(ctypes.Structure):
    _fields_ = [("value", ctypes.c_double), ("uncertainty", ctypes.c_double)]


KLD_PERCENTILE_COUNT = 9
DP_PERCENTILE_COUNT = 11


class MeasureInfo(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("id", ctypes.c_uint32),
                ("kind", ctypes.c_uint32), ("name", ctypes.c_char_p),
                ("label", ctypes.c_char_p), ("slot", ctypes.c_uint32),
                ("slots", ctypes.c_uint32)]


class MeasureStat(ctypes.Structure):
    _fields_ = [("measure", ctypes.c_uint32), ("k", ctypes.c_uint32),
                ("n", ctypes.c_uint64), ("n_skipped", ctypes.c_uint64),
                ("mean", Estimate), ("second", Estimate),
                ("min", ctypes.c_double), ("max", ctypes.c_double),
                ("percentiles", ctypes.c_double * KLD_PERCENTILE_COUNT)]

_REPORT_FIELDS = [
    ("struct_size", ctypes.c_size_t), ("percentile_mode", ctypes.c_uint32),
    ("has_statistics", ctypes.c_uint32), ("has_percentiles", ctypes.c_uint32),
    ("reserved", ctypes.c_uint32),
    ("sketch_relative_accuracy", ctypes.c_double),
    ("n_tokens", ctypes.c_uint64), ("n_skipped", ctypes.c_uint64),
    ("n_skipped_model_nan", ctypes.c_uint64),
    ("n_skipped_model_inf", ctypes.c_uint64),
    ("n_skipped_model_empty", ctypes.c_uint64),
    ("n_skipped_base", ctypes.c_uint64),
    ("n_skipped_non_finite", ctypes.c_uint64),
    ("n_same_top", ctypes.c_uint64),
    ("ln_ppl", Estimate), ("ln_ppl_base", Estimate),
    ("ln_ppl_covariance", ctypes.c_double),
    ("ln_ppl_correlation", ctypes.c_double),
    ("ppl", Estimate), ("ppl_base", Estimate), ("ln_ppl_ratio", Estimate),
    ("ppl_ratio", Estimate), ("ppl_diff", Estimate), ("kld", Estimate),
    ("kld_max", ctypes.c_double), ("kld_min", ctypes.c_double),
    ("kld_percentiles", ctypes.c_double * KLD_PERCENTILE_COUNT),
    ("dp", Estimate), ("dp_max", ctypes.c_double),
    ("dp_min", ctypes.c_double), ("dp_max_abs", ctypes.c_double),
    ("dp_percentiles", ctypes.c_double * DP_PERCENTILE_COUNT),
    ("dp_rms", Estimate), ("same_top", Estimate),
    ("n_measure_stats", ctypes.c_uint32), ("reserved2", ctypes.c_uint32),
    ("measure_stats", MeasureStat * MAX_MEASURE_STATS),
]


class CReport(ctypes.Structure):
    _fields_ = _REPORT_FIELDS


PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64,
                               ctypes.c_uint64)


class BatchOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("threads", ctypes.c_uint32),
                ("mode", ctypes.c_uint32), ("progress", PROGRESS_FN),
                ("progress_user_data", ctypes.c_void_p)]


CHUNK_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int,
                            ctypes.POINTER(CReport), ctypes.c_size_t)
TOKENS_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t,
                             ctypes.c_uint64, ctypes.c_void_p,
                             ctypes.POINTER(ctypes.c_int32), ctypes.c_size_t)
WARNING_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)


class CompareFilesOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("mode", ctypes.c_uint32),
                ("threads", ctypes.c_uint32), ("force", ctypes.c_uint32),
                ("n_ctx", ctypes.c_uint32), ("tokens_path", ctypes.c_char_p),
                ("progress", PROGRESS_FN),
                ("progress_user_data", ctypes.c_void_p),
                ("on_chunk", CHUNK_FN), ("chunk_user_data", ctypes.c_void_p),
                ("on_tokens", TOKENS_FN),
                ("tokens_user_data", ctypes.c_void_p),
                ("on_warning", WARNING_FN),
                ("warning_user_data", ctypes.c_void_p),
                ("chunk_begin", ctypes.c_uint32),
                ("chunk_end", ctypes.c_uint32),
                ("save_tokens", ctypes.POINTER(ctypes.c_char_p))]


class KldzMetadata(ctypes.Structure):
    _fields_ = [("key", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class KldzOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("level", ctypes.c_int32),
                ("threads", ctypes.c_uint32),
                ("rows_per_block", ctypes.c_uint32),
                ("metadata", ctypes.POINTER(KldzMetadata)),
                ("n_metadata", ctypes.c_size_t), ("keep", ctypes.c_uint32),
                ("floor", ctypes.c_float), ("allow_partial", ctypes.c_uint32),
                ("shard", ctypes.c_uint32), ("first_chunk", ctypes.c_uint32),
                ("end_chunk", ctypes.c_uint32)]


class AppendedRow(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t),
                ("log_sum_exp", ctypes.c_double), ("nll", ctypes.c_float)]


class KldzReadOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("threads", ctypes.c_uint32)]


def new(struct_type, **fields):
    """An options/output struct with struct_size set (the _INIT rule)."""
    s = struct_type(**fields)
    s.struct_size = ctypes.sizeof(struct_type)
    return s


_P = ctypes.POINTER
_c_status = ctypes.c_int
_SIZE = ctypes.c_size_t
_VOIDP = ctypes.c_void_p
_CHARP = ctypes.c_char_p

# name: (restype, argtypes). Handles travel as void pointers.
_SIGNATURES = {
    "kldkit_version_number": (ctypes.c_uint, []),
    "kldkit_version_string": (_CHARP, []),
    "kldkit_abi_version": (ctypes.c_uint, []),
    "kldkit_status_string": (_CHARP, [ctypes.c_int]),
    "kldkit_last_error": (_CHARP, []),
    "kldkit_free": (None, [_VOIDP]),
    "kldkit_llama_row_words": (_SIZE, [_SIZE]),
    "kldkit_measure_count": (ctypes.c_uint32, []),
    "kldkit_measure_describe": (_c_status, [_P(MeasureInfo), ctypes.c_uint32]),
    "kldkit_log_softmax": (_c_status, [_VOIDP, _SIZE, _P(Row)]),
    "kldkit_quantize_row": (_c_status, [_VOIDP, _SIZE, _P(Row),
                                        _P(QuantizeOptions)]),
    "kldkit_dequantize_row": (_c_status, [_VOIDP, _SIZE, _VOIDP, _SIZE,
                                          _SIZE]),
    "kldkit_compare_row": (_c_status, [_P(TokenResult), _VOIDP, _SIZE,
                                       _P(Row), _P(Row), ctypes.c_int32,
                                       _P(CompareOptions)]),
    "kldkit_reader_open": (_c_status, [_P(_VOIDP), _CHARP,
                                       _P(ReaderOptions)]),
    "kldkit_reader_close": (_c_status, [_VOIDP]),
    "kldkit_reader_free": (None, [_VOIDP]),
    "kldkit_reader_info_get": (_c_status, [_P(ReaderInfo), _VOIDP]),
    "kldkit_reader_read_tokens": (_c_status, [_VOIDP, _SIZE, _VOIDP,
                                              ctypes.c_uint64]),
    "kldkit_reader_target_token": (_c_status, [_P(ctypes.c_int32), _VOIDP,
                                               ctypes.c_uint64]),
    "kldkit_reader_read_rows_u16": (_c_status, [_VOIDP, _SIZE, _VOIDP,
                                                ctypes.c_uint64,
                                                ctypes.c_uint64,
                                                _P(KldzReadOptions)]),
    "kldkit_reader_read_row_f32": (_c_status, [_VOIDP, _SIZE, _VOIDP,
                                               ctypes.c_uint64]),
    "kldkit_reader_metadata_count": (_c_status, [_P(_SIZE), _VOIDP]),
    "kldkit_reader_metadata_key": (_c_status, [_VOIDP, _SIZE, _P(_SIZE),
                                               _VOIDP, _SIZE]),
    "kldkit_reader_metadata_value": (_c_status, [_VOIDP, _SIZE, _P(_SIZE),
                                                 _VOIDP, _SIZE]),
    "kldkit_llama_writer_create": (_c_status, [_P(_VOIDP), _CHARP,
                                               ctypes.c_uint32, ctypes.c_int32,
                                               ctypes.c_int32, _VOIDP, _SIZE]),
    "kldkit_llama_writer_append_logits": (_c_status, [_VOIDP, _P(Row),
                                                      _P(QuantizeOptions)]),
    "kldkit_llama_writer_close": (_c_status, [_VOIDP]),
    "kldkit_llama_writer_free": (None, [_VOIDP]),
    "kldkit_kldz_writer_create": (_c_status, [_P(_VOIDP), _CHARP,
                                              ctypes.c_uint32, ctypes.c_int32,
                                              _VOIDP, _SIZE, _P(KldzOptions)]),
    "kldkit_kldz_writer_append_row": (_c_status, [_VOIDP, _VOIDP, _SIZE]),
    "kldkit_kldz_writer_append_logits_batch": (
        _c_status, [_VOIDP, _P(RowBatch), _P(QuantizeOptions), _VOIDP,
                    _SIZE]),
    "kldkit_kldz_writer_close": (_c_status, [_VOIDP]),
    "kldkit_kldz_writer_free": (None, [_VOIDP]),
    "kldkit_accumulator_create": (_c_status, [_P(_VOIDP),
                                              _P(AccumulatorOptions)]),
    "kldkit_accumulator_free": (None, [_VOIDP]),
    "kldkit_accumulator_add": (_c_status, [_VOIDP, _VOIDP, _SIZE]),
    "kldkit_accumulator_merge": (_c_status, [_VOIDP, _VOIDP]),
    "kldkit_accumulator_serialize": (_c_status, [_VOIDP, _SIZE, _P(_SIZE),
                                                 _VOIDP]),
    "kldkit_accumulator_deserialize": (_c_status, [_P(_VOIDP), _VOIDP,
                                                   _SIZE]),
    "kldkit_accumulator_decode_merge": (_c_status, [_VOIDP, _VOIDP, _SIZE]),
    "kldkit_accumulator_report": (_c_status, [_P(CReport), _VOIDP,
                                              ctypes.c_int]),
    "kldkit_render_text": (_c_status, [_VOIDP, _SIZE, _P(_SIZE),
                                       _P(CReport)]),
    "kldkit_render_json": (_c_status, [_VOIDP, _SIZE, _P(_SIZE),
                                       _P(CReport)]),
    "kldkit_render_chunk_header": (_c_status, [_VOIDP, _SIZE, _P(_SIZE)]),
    "kldkit_render_chunk_line": (_c_status, [_VOIDP, _SIZE, _P(_SIZE),
                                             ctypes.c_int, _P(CReport)]),
    "kldkit_compare_batch": (_c_status, [_VOIDP, _VOIDP, _SIZE,
                                         _P(RowBatch), _P(RowBatch), _VOIDP,
                                         _SIZE, _P(BatchOptions)]),
    "kldkit_compare_files": (_c_status, [_P(_VOIDP), _CHARP, _P(_CHARP),
                                         _SIZE, _P(CompareFilesOptions)]),
    "kldkit_kldz_import": (_c_status, [_P(ctypes.c_uint64), _CHARP, _CHARP,
                                       _P(KldzOptions)]),
    "kldkit_kldz_export_with": (_c_status, [_P(ctypes.c_uint64), _CHARP,
                                            _CHARP, _P(KldzReadOptions)]),
    "kldkit_kldz_verify_with": (_c_status, [_P(ctypes.c_uint64), _CHARP,
                                            _P(KldzReadOptions)]),
    "kldkit_kldz_recover": (_c_status, [_P(ctypes.c_uint64), _CHARP,
                                        _CHARP]),
}


def _candidates():
    env = os.environ.get("KLDKIT_LIBRARY")
    if env:
        return [env]  # explicit: no silent fallback to another copy
    here = os.path.dirname(os.path.abspath(__file__))
    found = [os.path.join(here, name)
             for name in ("libkldkit.so", f"libkldkit.so.{ABI_VERSION}",
                          "libkldkit.dylib", "kldkit.dll")
             if os.path.exists(os.path.join(here, name))]
    system = ctypes.util.find_library("kldkit")
    if system:
        found.append(system)
    return found


def _load():
    candidates = _candidates()
    if not candidates:
        raise OSError("libkldkit not found: set KLDKIT_LIBRARY to the "
                      "shared library, put it next to the kldkit package, "
                      "or install it on the system library path")
    lib = ctypes.CDLL(candidates[0])
    for name, (restype, argtypes) in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    abi = lib.kldkit_abi_version()
    number = lib.kldkit_version_number()
    if abi != ABI_VERSION or number // 10000 != VERSION_MAJOR or \
            number < VERSION_NUMBER:
        raise ImportError(
            f"{candidates[0]} is kldkit "
            f"{lib.kldkit_version_string().decode()} (ABI {abi}); these "
            f"bindings need ABI {ABI_VERSION} and version >= "
            f"{VERSION_MAJOR}.{VERSION_MINOR}.{VERSION_PATCH}")
    return lib, candidates[0]


lib, library_path = _load()


def status_name(status):
    return lib.kldkit_status_string(status).decode()


def check(status):
    """Raises Error for a failing status, with this thread's message."""
    if status != OK:
        raise Error(status, lib.kldkit_last_error().decode(errors="replace"))


def bytes_out(call, *args):
    """Runs a text-returning call twice (size query, then the copy) and
    returns all its bytes, NULs included, without the final NUL."""
    size = ctypes.c_size_t(0)
    check(call(None, 0, ctypes.byref(size), *args))
    buf = ctypes.create_string_buffer(size.value)
    check(call(buf, size.value, ctypes.byref(size), *args))
    return buf.raw[:size.value - 1]


def text_out(call, *args):
    """Runs a text-returning call twice: size query, then the copy."""
    return bytes_out(call, *args).decode()
