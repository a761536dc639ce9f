"""``python -m msgbus --cflags --libs``: the compiler and linker flags of a C
or C++ extension module of this Python that uses libmsgbus, sharing the
package's buses; ``--ext-suffix`` the file name ending of such a module.

    cc -shared -fPIC mine.c $(python -m msgbus --cflags --libs) -o mine$(python -m msgbus --ext-suffix)
"""

import argparse
import sysconfig

from . import get_include, get_library_dir


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m msgbus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cflags", action="store_true", help="-I flags: msgbus.h, msgbus.hpp and Python.h")
    parser.add_argument("--libs", action="store_true", help="link flags for the package's libmsgbus.so.0")
    parser.add_argument("--ext-suffix", action="store_true", help="the file name ending of an extension module")
    args = parser.parse_args()
    flags = []
    if args.cflags:
        flags += [f"-I{get_include()}", f"-I{sysconfig.get_paths()['include']}"]
    if args.libs:
        library_dir = get_library_dir()
        flags += [f"-L{library_dir}", "-l:libmsgbus.so.0", f"-Wl,-rpath,{library_dir}"]
    if args.ext_suffix:
        flags.append(sysconfig.get_config_var("EXT_SUFFIX"))
    if not flags:
        parser.error("give --cflags, --libs or --ext-suffix")
    print(" ".join(flags))


if __name__ == "__main__":
    main()
