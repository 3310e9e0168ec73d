"""The hand-written ctypes mirrors of capi/kldkit.h (python/kldkit) against
the header as a C compiler reads it.

Run by ctest with KLDKIT_PY_STRUCT_LAYOUT: python/tests/struct_layout.c,
built against the header, prints each mirrored struct's size and field
offsets, sizes and kinds, the header's constants, and a JSON report naming
the percentiles. Any mirror that drifts from the header fails here.
"""
import ctypes
import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))

LAYOUT = os.environ.get("KLDKIT_PY_STRUCT_LAYOUT")


def ctypes_kind(t):
    """The kind letter struct_layout.c prints: f floating, i signed or u
    unsigned integer, - anything else (pointer, array, struct)."""
    code = getattr(t, "_type_", None)
    if not isinstance(code, str):
        return "-"
    return next((k for k, codes in (("f", "fdg"), ("i", "bhilq"),
                                    ("u", "BHILQ")) if code in codes), "-")


def read_layout(path):
    """Parses struct_layout's lines into sizes {struct: n}, fields {struct:
    {field: (offset, size, kind)}}, constants {name: value} and the JSON
    report."""
    out = subprocess.run([path], capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError(f"{path} failed: {out.stderr}")
    sizes, fields, constants, report = {}, {}, {}, None
    for line in out.stdout.splitlines():
        name, rest = line.split(" ", 1)
        if name == "report_json":
            report = json.loads(rest)
        elif rest.startswith("size "):
            sizes[name] = int(rest.split()[1])
        elif "." in name:
            struct, field = name.split(".")
            offset, size, kind = rest.split()
            fields.setdefault(struct, {})[field] = (int(offset), int(size),
                                                    kind)
        else:
            constants[name] = int(rest)
    return sizes, fields, constants, report


class StructMirrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not LAYOUT:
            raise unittest.SkipTest(
                "KLDKIT_PY_STRUCT_LAYOUT is not set (ctest sets it to the "
                "built kldkit_py_struct_layout program)")
        # Imported here, not at the top: importing loads libkldkit, which a
        # run without the ctest environment may not find.
        import kldkit
        from kldkit import _kernels, _lib, _metrics
        cls.kldkit, cls.lib, cls.metrics = kldkit, _lib, _metrics
        # Header struct -> its ctypes mirror.
        cls.mirrors = {
            "kldkit_row": _lib.Row,
            "kldkit_row_batch": _lib.RowBatch,
            "kldkit_token_result": _lib.TokenResult,
            "kldkit_quantize_options": _lib.QuantizeOptions,
            "kldkit_compare_options": _lib.CompareOptions,
            "kldkit_reader_options": _lib.ReaderOptions,
            "kldkit_reader_info": _lib.ReaderInfo,
            "kldkit_accumulator_options": _lib.AccumulatorOptions,
            "kldkit_estimate": _lib.Estimate,
            "kldkit_report": _lib.CReport,
            "kldkit_batch_options": _lib.BatchOptions,
            "kldkit_kldz_metadata": _lib.KldzMetadata,
            "kldkit_kldz_options": _lib.KldzOptions,
            "kldkit_kldz_read_options": _lib.KldzReadOptions,
            "kldkit_compare_files_options": _lib.CompareFilesOptions,
            "kldkit_appended_row": _lib.AppendedRow,
            "kldkit_measure_info": _lib.MeasureInfo,
            "kldkit_measure_stat": _lib.MeasureStat,
        }
        # Header enums Python keeps as {lower-case name: value} dicts.
        cls.enum_dicts = {
            "KLDKIT_KEEP_": _lib.KEEP_PROFILES,
            "KLDKIT_COMPARE_": _kernels.COMPARE_MODES,
            "KLDKIT_PERCENTILES_": _metrics.PERCENTILE_MODES,
        }
        cls.sizes, cls.fields, cls.constants, cls.report = read_layout(LAYOUT)

    def test_every_structure_is_checked(self):
        # A new ctypes.Structure anywhere in the package must be added to
        # the mirrors above (and its struct to struct_layout.c).
        pkg = self.kldkit
        unchecked = []
        for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."):
            module = importlib.import_module(info.name)
            for name, obj in inspect.getmembers(module, inspect.isclass):
                if issubclass(obj, (ctypes.Structure, ctypes.Union)) and \
                        obj.__module__ == module.__name__ and \
                        obj not in self.mirrors.values():
                    unchecked.append(f"{module.__name__}.{name}")
        self.assertEqual(unchecked, [], "ctypes structs not checked here")

    def test_layouts(self):
        for struct in sorted(set(self.mirrors) | set(self.sizes)):
            with self.subTest(struct=struct):
                self.assertIn(struct, self.mirrors,
                              f"struct_layout prints {struct}, unmirrored")
                cls = self.mirrors[struct]
                self.assertIn(struct, self.sizes,
                              f"struct_layout does not print {struct}")
                c_fields = self.fields[struct]
                py_fields = [f[0] for f in cls._fields_]
                self.assertEqual(
                    [f for f in c_fields if f not in py_fields], [],
                    f"fields of {struct} missing from {cls.__name__}")
                self.assertEqual(
                    [f for f in py_fields if f not in c_fields], [],
                    f"fields of {cls.__name__} that {struct} lacks")
                for field, ctype in cls._fields_:
                    d = getattr(cls, field)
                    self.assertEqual(
                        (d.offset, d.size, ctypes_kind(ctype)),
                        c_fields[field],
                        f"{cls.__name__}.{field} (offset, size, kind) "
                        f"differs from {struct}.{field}")
                self.assertEqual(ctypes.sizeof(cls), self.sizes[struct],
                                 f"sizeof {cls.__name__} != sizeof {struct}")

    def test_constants(self):
        for name, value in self.constants.items():
            with self.subTest(name):
                prefix = next((p for p in self.enum_dicts
                               if name.startswith(p)), None)
                if prefix:
                    mirror = self.enum_dicts[prefix].get(
                        name[len(prefix):].lower())
                else:  # _lib.X for KLDKIT_X and KLDKIT_ERROR_X
                    attr = name.removeprefix("KLDKIT_")
                    mirror = getattr(self.lib, attr.removeprefix("ERROR_"),
                                     None)
                self.assertEqual(mirror, value,
                                 f"{name} is {value} in the header")
        for prefix, names in self.enum_dicts.items():
            self.assertEqual([k for k in names
                              if prefix + k.upper() not in self.constants],
                             [], f"names that are no {prefix}* enumerator")

    def test_percentile_fractions(self):
        # The library's JSON report keys each percentile by its percent with
        # one decimal, the precision of the header's comments.
        for section, fractions in (("kld", self.metrics.KLD_PERCENTILES),
                                   ("dp", self.metrics.DP_PERCENTILES)):
            with self.subTest(section):
                self.assertEqual(
                    [f"{100 * f:.1f}" for f in fractions],
                    list(self.report[section]["percentiles"]),
                    f"{section.upper()}_PERCENTILES differ from the library's")


if __name__ == "__main__":
    unittest.main()
