"""Builds libkldkit and the kldkit command line with CMake from the
repository around this folder and installs them inside the kldkit package
(kldkit/libkldkit.so, kldkit/bin/kldkit). The version is the C header's.

Environment: KLDKIT_CMAKE_ARGS  extra arguments for CMake's configure step
             KLDKIT_BUILD_JOBS  parallel build jobs (default: CPU count)
"""
import os
import re
import shlex
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def header_version():
    with open(os.path.join(ROOT, "capi", "kldkit.h")) as f:
        text = f.read()
    parts = [re.search(rf"^#define KLDKIT_VERSION_{p} (\d+)$", text, re.M)
             for p in ("MAJOR", "MINOR", "PATCH")]
    if not all(parts):
        raise RuntimeError("capi/kldkit.h: no KLDKIT_VERSION_* lines")
    return ".".join(m.group(1) for m in parts)


class BuildWithCMake(build_py):
    """build_py that first builds the native parts and copies them in."""

    def run(self):
        super().run()
        build = os.path.join(os.path.abspath(self.build_lib), "..",
                             "kldkit-cmake")
        configure = ["cmake", "-S", ROOT, "-B", build,
                     "-DCMAKE_BUILD_TYPE=Release", "-DKLDKIT_TEST=OFF",
                     "-DKLDKIT_BENCH=OFF", "-DKLDKIT_TOOLS=ON",
                     "-DKLDKIT_INSTALL=OFF"]
        configure += shlex.split(os.environ.get("KLDKIT_CMAKE_ARGS", ""))
        jobs = os.environ.get("KLDKIT_BUILD_JOBS", str(os.cpu_count() or 1))
        subprocess.check_call(configure)
        subprocess.check_call(["cmake", "--build", build, "-j", jobs,
                               "--target", "kldkit", "kldkit_cli"])
        package = os.path.join(self.build_lib, "kldkit")
        # The SONAME's file, resolved: the package holds one real file.
        lib = os.path.realpath(os.path.join(build, "lib", "libkldkit.so"))
        shutil.copyfile(lib, os.path.join(package, "libkldkit.so"))
        os.makedirs(os.path.join(package, "bin"), exist_ok=True)
        cli = os.path.join(package, "bin", "kldkit")
        shutil.copyfile(os.path.join(build, "tools", "kldkit"), cli)
        os.chmod(cli, 0o755)


class BinaryDistribution(Distribution):
    """A platform wheel: the package carries native code."""

    def has_ext_modules(self):
        return True


setup(version=header_version(), cmdclass={"build_py": BuildWithCMake},
      distclass=BinaryDistribution)
