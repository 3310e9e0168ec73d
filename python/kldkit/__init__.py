"""kldkit: KL-divergence metrics for quantized LLMs (ctypes bindings over
the C ABI of libkldkit, capi/kldkit.h). See docs/python.md.

The shared library is found through $KLDKIT_LIBRARY, next to this package,
or on the system library path; its version is checked at import.
"""
from ._lib import (ABI_VERSION, CANCELLED, CHECKSUM, CLOSED, FORMAT,
                   INCOMPATIBLE, INTERNAL, INVALID_ARGUMENT, IO, MISMATCH,
                   NON_FINITE, OUT_OF_MEMORY, TRUNCATED, UNSUPPORTED, Error,
                   library_path, status_name)
from ._lib import lib as _clib
from ._arrays import TOKEN_RESULT_DTYPE
from ._evaluate import compare_files
from ._kernels import compare_row, dequantize_row, log_softmax, quantize_row
from ._measures import (BucketMeasure, MeanMeasure, MeasureInfo, RateMeasure,
                        measure_table)
from ._metrics import (DP_PERCENTILES, KLD_PERCENTILES, Accumulator, Estimate,
                       Report, chunk_header, compare, compare_into)
from ._reader import (Header, Reader, kldz_export, kldz_import, kldz_recover,
                      kldz_verify, write_llama_file)
from ._writer import APPENDED_ROW_DTYPE, KldzWriter

__version__ = _clib.kldkit_version_string().decode()
