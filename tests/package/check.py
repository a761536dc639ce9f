"""Checks the wheel make wheel built, installed in a fresh virtual
environment (run with that environment's Python):

- it is an abi3 wheel for CPython >= 3.10 and manylinux2014, with the
  stubs, the C library under its SONAME (msgbus/libmsgbus.so.0, not
  renamed, not grafted) and the C and C++ headers;
- auditwheel finds no dependency beyond the system libraries and says the
  wheel is manylinux_2_17_x86_64 (manylinux2014);
- its extension and library are stripped (no symbol table, no debug info),
  need no glibc symbol newer than 2.17, and the library exports msgbus_*
  functions only;
- the extension does not link libmsgbus: it loads the library at import,
  and with nothing else in the process it uses the installed copy.

    python tests/package/check.py WHEEL
"""

import re
import subprocess
import sys
import zipfile
from pathlib import Path


def main() -> None:
    [wheel] = sys.argv[1:]
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "-cp310-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl" in wheel, wheel
    wanted = {"msgbus/py.typed", "msgbus/_msgbus.pyi", "msgbus/libmsgbus.so.0",
              "msgbus/include/msgbus.h", "msgbus/include/msgbus.hpp"}
    assert wanted <= names, wanted - names
    assert not any(".libs/" in name for name in names), names

    shown = subprocess.run([sys.executable, "-m", "auditwheel", "show", wheel], capture_output=True, text=True, check=True).stdout
    assert "external shared libraries are required" not in shown, shown
    assert "libmsgbus" not in shown, shown
    said = " ".join(shown.split())
    assert 'is consistent with the following platform tag: "manylinux_2_17_x86_64"' in said, shown

    import msgbus

    package = Path(msgbus.__file__).parent
    library = package / "libmsgbus.so.0"
    assert Path(msgbus.core_info().path).samefile(library), msgbus.core_info()
    assert Path(msgbus.get_library_dir()) == package
    assert (Path(msgbus.get_include()) / "msgbus.h").is_file()
    dynamic = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True, check=True).stdout
    assert "Library soname: [libmsgbus.so.0]" in dynamic, dynamic
    [extension] = package.glob("_msgbus*.so")
    needed = subprocess.run(["readelf", "-d", str(extension)], capture_output=True, text=True, check=True).stdout
    assert "libmsgbus" not in needed, needed
    for binary in (extension, library):
        check_linux_binary(binary)
    exported = subprocess.run(["nm", "-D", "--defined-only", str(library)], capture_output=True, text=True,
                              check=True).stdout.split()[2::3]
    assert exported and all(name.startswith("msgbus_") for name in exported), exported
    with msgbus.MessageBus() as bus:
        bus.add_destination("acme/n8k5_able", "serial")
        bus.register_listener("acme/n8k5_able", lambda m: bus.reply(m, "N8K5CharlieMessageListener"))
        assert bus.send_synchronous("acme/n8k5_able", "N8K5Baker#_activate") == "N8K5CharlieMessageListener"
    print(f"{Path(wheel).name}: manylinux_2_17, stripped, library and headers shipped, only system dependencies, "
          f"core {library}")


def check_linux_binary(binary: Path) -> None:
    """Stripped, and loadable with glibc 2.17."""
    sections = subprocess.run(["readelf", "-S", "-W", str(binary)], capture_output=True, text=True, check=True).stdout
    assert not re.search(r"\.symtab|\.debug_", sections), f"{binary.name} is not stripped:\n{sections}"
    symbols = subprocess.run(["objdump", "-T", str(binary)], capture_output=True, text=True, check=True).stdout
    versions = {tuple(map(int, v.split("."))) for v in re.findall(r"\bGLIBC_([0-9.]+)", symbols)}
    assert versions and max(versions) <= (2, 17), f"{binary.name} needs glibc {max(versions)}"


if __name__ == "__main__":
    main()
