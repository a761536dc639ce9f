"""Checks the wheel make test-python-package built, installed in a fresh
virtual environment (run with that environment's Python):

- it is an abi3 wheel for CPython >= 3.10 with the stubs, the C library
  under its SONAME (msgbus/libmsgbus.so.0, not renamed, not grafted) and
  the C and C++ headers;
- auditwheel finds no dependency beyond the system libraries;
- the extension does not link libmsgbus: it loads the library at import,
  and with nothing else in the process it uses the installed copy.

    python tests/package/check.py WHEEL
"""

import subprocess
import sys
import zipfile
from pathlib import Path


def main() -> None:
    [wheel] = sys.argv[1:]
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "-cp310-abi3-" in wheel, wheel
    wanted = {"msgbus/py.typed", "msgbus/_msgbus.pyi", "msgbus/libmsgbus.so.0",
              "msgbus/include/msgbus.h", "msgbus/include/msgbus.hpp"}
    assert wanted <= names, wanted - names
    assert not any(".libs/" in name for name in names), names

    shown = subprocess.run([sys.executable, "-m", "auditwheel", "show", wheel], capture_output=True, text=True, check=True).stdout
    assert "external shared libraries are required" not in shown, shown
    assert "libmsgbus" not in shown, shown

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
    with msgbus.MessageBus() as bus:
        bus.add_destination("acme/n8k5_able", "serial")
        bus.register_listener("acme/n8k5_able", lambda m: bus.reply(m, "N8K5CharlieMessageListener"))
        assert bus.send_synchronous("acme/n8k5_able", "N8K5Baker#_activate") == "N8K5CharlieMessageListener"
    print(f"{Path(wheel).name}: library and headers shipped, only system dependencies, core {library}")


if __name__ == "__main__":
    main()
