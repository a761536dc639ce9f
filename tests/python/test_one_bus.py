"""One process, one bus (SPEC §7), with real compilers and processes: a C
extension module built here against msgbus.get_include() and
msgbus.get_library_dir(), a C host that embeds CPython (linked with
libmsgbus.so.0, or with libmsgbus.a), and libraries the package must
refuse. Each scenario runs in a subprocess of its own, so that what the
process has loaded is what the scenario says."""

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import msgbus

HERE = Path(__file__).parent
REPO = HERE.parents[1]
PATIENCE = 120
PYTHON_INCLUDE = sysconfig.get_paths()["include"]
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-pthread"]


def compile_c(*args: str) -> None:
    done = subprocess.run(["cc", *CFLAGS, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def run(args: list, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=PATIENCE, **kwargs)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def busext(tmp_path_factory) -> Path:
    """The folder of busext.so, a C extension module linked with the
    package's libmsgbus.so.0."""
    folder = tmp_path_factory.mktemp("busext")
    lib = msgbus.get_library_dir()
    compile_c("-shared", "-fPIC", f"-I{PYTHON_INCLUDE}", f"-I{msgbus.get_include()}",
              str(HERE / "c" / "busext.c"), f"-L{lib}", "-l:libmsgbus.so.0", f"-Wl,-rpath,{lib}",
              "-o", str(folder / "busext.so"))
    return folder


SHARED_BUS = """
    import sys, threading
    if sys.argv[1] == "extension first":
        import busext
        import msgbus
    else:
        import msgbus
        import busext

    bus = msgbus.MessageBus()
    # A Python listener receives 100 000 sends from C, in order.
    bus.add_destination("acme/from_c", "serial")
    got, done = [], threading.Event()
    def collect(message):
        got.append(message.payload)
        if len(got) == 100_000:
            done.set()
    bus.register_listener("acme/from_c", collect)
    busext.send_many(bus.address, "acme/from_c", 100_000)
    assert done.wait(60) and got == list(range(100_000)), len(got)

    # A C listener receives what Python sends, queued and in place, and
    # never runs holding the GIL; a Python object reaches it as a pointer.
    recorders = {}
    for name, kind in (("acme/to_c", "serial"), ("acme/to_c_now", "synchronous")):
        bus.add_destination(name, kind)
        recorders[name] = busext.record_on(bus.address, name)
    thing = object()
    for name in recorders:
        for i in range(1000):
            bus.send(name, i)
        bus.send(name, thing)
    for name, recorder in recorders.items():
        seen = busext.recorded(recorder, 1000)
        assert seen == (1000, 1, 1, id(thing), 0), (name, seen)

    # A C pointer reaches Python as msgbus.Pointer and goes back as itself.
    bus.add_destination("acme/pointers", "synchronous")
    pointers_seen = []
    bus.register_listener("acme/pointers", lambda m: pointers_seen.append(m.payload))
    address = busext.send_pointer(bus.address, "acme/pointers")
    [pointer] = pointers_seen
    assert isinstance(pointer, msgbus.Pointer) and pointer.address == address
    bus.send("acme/to_c_now", pointer)
    assert busext.recorded(recorders["acme/to_c_now"], 1000)[3] == address
    del pointers_seen[:], pointer
    assert busext.pointers_freed() == 1

    # Long bytes from C become one Python object, made by the first
    # listener: the others of a parallel destination get it too.
    bus.add_destination("acme/fan_from_c", "parallel", workers_core_size=4, workers_max_size=4)
    fanned, fan_lock, fan_done = [], threading.Lock(), threading.Semaphore(0)
    def fan(message):
        with fan_lock:
            fanned.append(message.payload)
        fan_done.release()
    for _ in range(4):
        bus.register_listener("acme/fan_from_c", fan)
    busext.send_bytes(bus.address, "acme/fan_from_c", 1_000_000)
    for _ in range(4):
        assert fan_done.acquire(timeout=60)
    assert fanned[0] == b"\x07" * 1_000_000 and all(p is fanned[0] for p in fanned)
    del fanned[:]

    # Requests both ways.
    bus.add_destination("acme/c_answers", "parallel")
    busext.answer_on(bus.address, "acme/c_answers")
    assert bus.send_synchronous("acme/c_answers", 21) == 42
    bus.add_destination("acme/python_answers", "serial")
    bus.register_listener("acme/python_answers", lambda m: bus.reply(m, m.payload + 1))
    assert busext.ask(bus.address, "acme/python_answers", 41) == 42

    # One core, one default bus.
    assert msgbus.core_info().path == busext.core_path()
    mapped = {line.split()[-1] for line in open("/proc/self/maps") if "libmsgbus" in line}
    assert len(mapped) == 1, mapped
    assert msgbus.default_bus().address == busext.default_address()
    bus.shutdown()
    print("shared", msgbus.core_info().path)
"""


@pytest.mark.parametrize("order", ["extension first", "msgbus first"])
def test_a_c_extension_and_python_share_one_bus(busext, order):
    env = dict(os.environ, PYTHONPATH=f"{busext}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    done = run([sys.executable, "-c", textwrap.dedent(SHARED_BUS), order], env=env)
    path = done.stdout.split()[-1]
    assert Path(path).samefile(Path(msgbus.get_library_dir()) / "libmsgbus.so.0"), path
    assert done.stderr == ""


TRACED = """
    import threading
    import busext
    import msgbus

    def traceparent(n):
        return f"00-{n:032x}-00f067aa0ba902b7-01"

    bus = msgbus.MessageBus()
    bus.add_destination("acme/traced", "serial")

    # One Python interceptor: every send, from Python or from C, passes it.
    def trace(destination, message):
        assert destination == "acme/traced"
        if message.get("traceparent") is None:
            message.put("traceparent", traceparent(message.payload))

    handle = bus.add_interceptor(trace)
    watcher = busext.watch_on(bus.address, "acme/traced", "traceparent")
    seen, done = [], threading.Event()
    def python_listener(message):
        seen.append(message.get("traceparent"))
        if len(seen) == 4:
            done.set()
    bus.register_listener("acme/traced", python_listener)
    bus.send("acme/traced", 10)
    bus.send("acme/traced", 11)
    busext.send_many(bus.address, "acme/traced", 2)  # 0 and 1, from C, without the GIL
    expected = [traceparent(n) for n in (10, 11, 0, 1)]
    assert done.wait(60) and seen == expected, seen
    assert busext.watched(watcher, 4) == expected
    assert handle.remove()
    bus.send("acme/traced", 12)
    assert busext.watched(watcher, 5)[4] == "", "removed: the C listener sees no traceparent"
    bus.shutdown()
    print("traced", len(expected))
"""


def test_a_python_interceptor_is_seen_by_c_and_python_listeners(busext):
    env = dict(os.environ, PYTHONPATH=f"{busext}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    done = run([sys.executable, "-c", textwrap.dedent(TRACED)], env=env)
    assert done.stdout.split() == ["traced", "4"]
    assert done.stderr == ""


PLUGIN = """
import msgbus

if SEPARATE:
    print("plugin core", msgbus.core_info().path, flush=True)
else:
    assert msgbus.core_info().path == CORE, (msgbus.core_info().path, CORE)
    assert msgbus.default_bus().address == DEFAULT
    bus = msgbus.MessageBus.from_address(ADDRESS)

    @bus.listener("acme/n8k5_able")
    def charlie(request):
        bus.reply(request, "N8K5CharlieMessageListener")

    print("plugin ready", flush=True)
"""


def embedding_flags() -> list:
    """What a C program needs to embed this interpreter."""
    env = dict(os.environ, PKG_CONFIG_PATH=sysconfig.get_config_var("LIBPC"))
    flags = run(["pkg-config", "--cflags", "--libs", "python3-embed"], env=env).stdout.split()
    return flags + [f"-Wl,-rpath,{sysconfig.get_config_var('LIBDIR')}"]


def run_host(host: Path, plugin: Path, *args: str) -> subprocess.CompletedProcess:
    package_parent = Path(msgbus.__file__).parents[1]
    env = dict(os.environ, PYTHONPATH=str(package_parent), PYTHONHOME=sys.base_prefix)
    env.pop("MSGBUS_LIBRARY", None)
    return run([str(host), str(plugin), *args], env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A prefix `make install` filled."""
    prefix = tmp_path_factory.mktemp("prefix")
    run(["make", "--no-print-directory", "-C", str(REPO), "install", f"PREFIX={prefix}"])
    return prefix


@pytest.fixture
def plugin(tmp_path) -> Path:
    path = tmp_path / "plugin.py"
    path.write_text(textwrap.dedent(PLUGIN))
    return path


def test_a_c_host_and_its_python_plugin_share_one_bus(installed, plugin, tmp_path):
    env = dict(os.environ, PKG_CONFIG_PATH=str(installed / "lib" / "pkgconfig"))
    msgbus_flags = run(["pkg-config", "--cflags", "--libs", "msgbus"], env=env).stdout.split()
    host = tmp_path / "host"
    compile_c(str(HERE / "c" / "host.c"), *msgbus_flags, f"-Wl,-rpath,{installed / 'lib'}",
              *embedding_flags(), "-o", str(host))
    done = run_host(host, plugin, "10000")
    assert done.stdout.splitlines() == ["plugin ready", "host: sent 10000, delivered 10000, replies 10000"]


STATIC = [str(REPO / "target" / "release" / "libmsgbus.a"), "-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl"]


def test_a_static_host_that_exports_the_table_shares_its_core(plugin, tmp_path):
    host = tmp_path / "host"
    compile_c(f"-I{REPO / 'include'}", str(HERE / "c" / "host.c"), *STATIC,
              "-Wl,--export-dynamic-symbol=msgbus_api_get", *embedding_flags(), "-o", str(host))
    done = run_host(host, plugin, "1000")
    assert done.stdout.splitlines() == ["plugin ready", "host: sent 1000, delivered 1000, replies 1000"]


def test_a_static_host_that_does_not_export_it_leaves_python_its_own_core(plugin, tmp_path):
    host = tmp_path / "host"
    compile_c(f"-I{REPO / 'include'}", str(HERE / "c" / "host.c"), *STATIC, *embedding_flags(),
              "-o", str(host))
    done = run_host(host, plugin, "0", "separate")
    [line] = done.stdout.splitlines()
    core = Path(line.removeprefix("plugin core "))
    assert core.samefile(Path(msgbus.get_library_dir()) / "libmsgbus.so.0"), core


WRONG_ABI = """
#include <stddef.h>
#include <stdint.h>
static const char *version(void) { return "9.9.9"; }
static struct { size_t size; uint32_t abi_version; const char *(*version)(void); } table = {
    sizeof table, 99, version};
const void *msgbus_api_get(void) { return &table; }
"""


@pytest.mark.parametrize(
    "library, says",
    [
        (WRONG_ABI, ["needs libmsgbus ABI 0", "is libmsgbus 9.9.9, ABI 99", "(MSGBUS_LIBRARY)"]),
        ("int nothing_here;", ["is not a libmsgbus this package can use: it has no msgbus_api_get"]),
        (None, ["cannot load its core", "No such file"]),
    ],
)
def test_a_library_the_package_cannot_use_is_an_import_error(tmp_path, library, says):
    path = tmp_path / "libmsgbus.so.0"
    if library is not None:
        (tmp_path / "lib.c").write_text(library)
        compile_c("-shared", "-fPIC", str(tmp_path / "lib.c"), "-o", str(path))
    env = dict(os.environ, MSGBUS_LIBRARY=str(path))
    done = subprocess.run([sys.executable, "-c", "import msgbus"], env=env, capture_output=True, text=True,
                          timeout=PATIENCE)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: msgbus") and str(path) in last, last
    for text in says:
        assert text in last, last
    assert msgbus.__version__ in last or library is not WRONG_ABI
