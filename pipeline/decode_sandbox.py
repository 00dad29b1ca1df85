"""Decode untrusted recordings in a child process, under a memory and a time limit.

FFmpeg parses whatever a user uploads. A decoder bug that crashes on a hostile file,
a file that decodes to more memory than the machine has, or one that never finishes
must cost that one file, not the API process or the worker holding the models. So
each decode runs in a child:

* forked from a small helper process started once (multiprocessing's forkserver, with
  PyAV and numpy already imported), so a child starts in milliseconds and never
  inherits the caller's threads, models or open sockets;
* with an address-space limit (``RLIMIT_AS``: what it has mapped when it starts, plus
  ``memory_mb``), a CPU-time limit as a backstop to the wall-clock timeout enforced
  here, and no core dumps;
* returning its samples through a pipe in chunks, freeing its copy as it sends, so
  the two processes together hold about one copy of the audio.

A crash, a timeout or running out of memory becomes an ``AudioError`` naming the file.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.context import ForkServerProcess, set_spawning_popen

import numpy as np

from listenlens.errors import AudioError, ListenlensError

log = logging.getLogger("listenlens.audio")

FORMATS_HINT = "WAV, MP3, M4A, OGG, FLAC or WebM"  # as in audio.py, which imports this module
_CHUNK = 1 << 21  # float32 samples per message: 8 MB
_CPU_SLACK_S = 30  # the CPU limit only catches a child the parent could not time out
_PRELOAD = ["numpy", "av", "scipy.signal", "listenlens.pipeline.audio"]

_lock = threading.Lock()
_start_lock = threading.Lock()
_context = None


def start() -> None:
    """Start the helper process now rather than on the first decode (it takes a second or so)."""
    _ctx()
    forkserver.ensure_running()


def run(fn, *args, name: str, timeout_s: float, memory_mb: float | None):
    """``fn(*args)`` in a child process; it returns ``(info, samples or None)``.

    ``fn`` is any importable module-level function. ``ListenlensError`` raised in the
    child is raised here unchanged; anything that kills the child is an ``AudioError``.
    """
    ctx = _ctx()
    receiver, sender = ctx.Pipe(duplex=False)
    child = _Child(target=_child_main, args=(sender, fn, args, memory_mb, timeout_s), daemon=True)
    child.start()
    sender.close()
    deadline = time.monotonic() + timeout_s
    try:
        return _receive(receiver, child, deadline, name=name, timeout_s=timeout_s, memory_mb=memory_mb)
    finally:
        receiver.close()
        child.join(2.0)  # it has sent everything and is exiting; one stuck on exit is killed
        if child.is_alive():
            child.kill()
            child.join()


def _ctx():
    global _context
    with _lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(_PRELOAD)
            _context = ctx
        return _context


class _Popen(popen_forkserver.Popen):
    """The forkserver launch, minus re-running the caller's ``__main__`` in every child.

    multiprocessing re-imports the main script in each child so that functions defined
    there unpickle; the functions run here live in modules, and re-running a caller's
    script (a CLI entry point, a benchmark, a server) per decode would cost its imports
    every time, or fail outright for a script read from stdin.
    """

    def _launch(self, process_obj):
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        prep_data["authkey"] = bytes(process_obj.authkey)  # the caller's may be billiard's, unpicklable
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)  # the child's sign that this process is alive
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Child(ForkServerProcess):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # A fresh config, not a copy of the current process's: in a Celery prefork worker
        # that one holds billiard's own authkey, which refuses to be pickled to a child.
        self._config = {"daemon": self._config.get("daemon", False)}
        self.authkey = os.urandom(32)

    @staticmethod
    def _Popen(process_obj):
        return _Popen(process_obj)

    def start(self):
        # A Celery prefork worker (billiard) marks itself daemonic, and multiprocessing
        # then refuses it children, lest they outlive it. This one is waited for and
        # killed on any way out of ``run``, and its CPU-time limit ends it otherwise.
        with _start_lock:
            config = multiprocessing.current_process()._config
            daemon = config.pop("daemon", None)
            try:
                super().start()
            finally:
                if daemon is not None:
                    config["daemon"] = daemon


# --- parent side -------------------------------------------------------------------


def _receive(conn, child, deadline: float, *, name: str, timeout_s: float, memory_mb: float | None):
    message = _next(conn, child, deadline, name=name, timeout_s=timeout_s, memory_mb=memory_mb)
    status = message[0]
    if status == "error":
        raise message[1]
    if status == "memory":
        raise AudioError(_memory_message(name, memory_mb))
    if status == "failed":
        log.warning("decoding %s failed in the child process:\n%s", name, message[2])
        raise AudioError(
            f"could not decode {name}: the decoder failed on it ({message[1]}); it is damaged or not a normal"
            f" recording: re-export it as {FORMATS_HINT} and try again"
        )
    _, info, shape = message
    if shape is None:
        return info, None
    samples = np.empty(shape, dtype=np.float32)
    flat = samples.reshape(-1)
    view = flat.data.cast("B")
    for end in range(flat.size, 0, -_CHUNK):  # the child sends its last chunk first
        start = max(0, end - _CHUNK)
        _wait(conn, child, deadline, name=name, timeout_s=timeout_s, memory_mb=memory_mb)
        try:
            got = conn.recv_bytes_into(view, start * 4)
        except EOFError:
            raise AudioError(_death_message(name, child, timeout_s, memory_mb)) from None
        if got != (end - start) * 4:
            raise AudioError(f"could not decode {name}: the decoder process sent a short block; try again")
    return info, samples


def _next(conn, child, deadline, **kw):
    _wait(conn, child, deadline, **kw)
    try:
        return conn.recv()
    except EOFError:
        raise AudioError(_death_message(kw["name"], child, kw["timeout_s"], kw["memory_mb"])) from None


def _wait(conn, child, deadline: float, *, name: str, timeout_s: float, memory_mb: float | None) -> None:
    if not conn.poll(max(0.0, deadline - time.monotonic())):
        child.kill()
        raise AudioError(
            f"could not decode {name}: decoding took longer than the {timeout_s:g} s limit; re-export it as"
            f" {FORMATS_HINT} (or raise the limit: LISTENLENS_DECODE_TIMEOUT_S, LISTENLENS_PROBE_TIMEOUT_S)"
        )


def _death_message(name: str, child, timeout_s: float, memory_mb: float | None) -> str:
    child.join(5)
    code = child.exitcode
    if code is not None and code < 0:
        sig = -code
        if sig == signal.SIGXCPU:
            return (
                f"could not decode {name}: decoding used more than its CPU-time limit; re-export it as"
                f" {FORMATS_HINT} (or raise LISTENLENS_DECODE_TIMEOUT_S)"
            )
        if sig == signal.SIGKILL:  # the kernel's OOM killer, or an operator
            return _memory_message(name, memory_mb)
        what = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        return (
            f"could not decode {name}: the decoder crashed on it ({what}); the file is damaged or made to"
            f" break decoders: re-export it as {FORMATS_HINT} and try again"
        )
    return (
        f"could not decode {name}: the decoder process stopped (exit code {code}); re-export it as"
        f" {FORMATS_HINT} and try again"
    )


def _memory_message(name: str, memory_mb: float | None) -> str:
    limit = f"the {memory_mb:g} MB" if memory_mb else "the available"
    return (
        f"could not decode {name}: decoding needed more than {limit} memory; split the recording or mix it"
        " down to fewer channels (limit: LISTENLENS_MAX_DECODED_MB)"
    )


# --- child side --------------------------------------------------------------------


def _child_main(conn, fn, args, memory_mb: float | None, timeout_s: float) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash on a hostile file leaves no core file
    cpu = int(timeout_s + _CPU_SLACK_S)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    if memory_mb:
        # On top of what is already mapped (the interpreter, numpy, FFmpeg, and per-core
        # buffers some libraries reserve, which differ from host to host): the limit
        # bounds what decoding this file adds.
        cap = _mapped_bytes() + int(memory_mb * 1024 * 1024)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        info, samples = fn(*args)
    except MemoryError:
        conn.send(("memory",))
        return
    except Exception as exc:
        if isinstance(exc, ListenlensError):
            conn.send(("error", exc))
        else:
            import traceback

            conn.send(("failed", f"{exc.__class__.__name__}: {exc}"[:300], traceback.format_exc()))
        return
    conn.send(("ok", info, None if samples is None else samples.shape))
    if samples is not None:
        _send_samples(conn, samples)


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _send_samples(conn, samples: np.ndarray) -> None:
    """Send ``samples`` last chunk first, shrinking the array behind each one.

    Shrinking gives the tail's pages back at once, so while the parent fills its
    copy the child's empties: the two together hold about one copy, not two.
    """
    flat = samples
    while isinstance(flat.base, np.ndarray):
        flat = flat.base
    owned = flat.flags["OWNDATA"] and flat.ndim == 1 and flat.size == samples.size and samples.flags["C_CONTIGUOUS"]
    if not owned or flat.ctypes.data != samples.ctypes.data:
        flat = np.ascontiguousarray(samples).reshape(-1)
    del samples
    size = flat.size
    for end in range(size, 0, -_CHUNK):
        start = max(0, end - _CHUNK)
        conn.send_bytes(flat[start:end].data.cast("B"))
        if flat.flags["OWNDATA"]:
            flat.resize(start, refcheck=False)
