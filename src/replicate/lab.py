"""``replicate lab``: the chapters as a workbench in JupyterLab.

What is JupyterLab's and jupytext's, and what is ours:

* **JupyterLab 4** (the server, the notebook editor, Run All, the kernel) and **jupytext's**
  contents manager and lab extension (a percent ``.py`` opened as a notebook; saving writes
  the ``.py`` back, and its paired ``.ipynb``, under the pairing and metadata filters of
  ``jupytext.toml``) do all the work.
* **Ours** is only the launch: a named kernelspec for this environment installed into the
  environment itself (``sys.prefix``, never the user's home), JupyterLab started from this
  environment on 127.0.0.1 with a fresh token, a free port (or a clear message when the
  port asked for is busy), opened at ``notebooks/``, and lab settings given as defaults
  (``overrides.json``, which the user's own settings still override): double-clicking a
  ``.py`` opens it with jupytext's notebook view, and no request for news or updates
  leaves the machine.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
from pathlib import Path

from replicate import paths

KERNEL_NAME = "replicate"
HOST = "127.0.0.1"
DEFAULT_PORT = 8888
SETTINGS_DIR = paths.BUILD_DIR / "lab" / "settings"

LAB_SETTINGS: dict[str, dict] = {
    # Double-click on a percent .py opens jupytext's notebook view (jupytext >= 1.16 opens
    # text files in the editor unless told otherwise).
    "@jupyterlab/docmanager-extension:plugin": {
        "defaultViewers": {"python": "Jupytext Notebook"},
    },
    # No network: JupyterLab would otherwise offer to fetch news and check for updates.
    "@jupyterlab/apputils-extension:notification": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}
"""JupyterLab settings this command gives as defaults (the user's own settings win)."""


class LabError(ValueError):
    """JupyterLab cannot start as asked; the message says why and what to do."""


def kernel_display_name(prefix: str = sys.prefix) -> str:
    """``replicate (.venv)``: the package and the environment the kernel runs in."""
    return f"{KERNEL_NAME} ({Path(prefix).name})"


def kernelspec_dir(prefix: str = sys.prefix) -> Path:
    """Where the named kernelspec lives inside the environment."""
    return Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME


def install_kernelspec(prefix: str = sys.prefix) -> Path:
    """Install the kernelspec ``replicate`` for this interpreter into ``prefix``.

    The kernel runs ``sys.executable`` (an absolute path), so ``import replicate`` works
    in every notebook. Nothing is written when an up-to-date spec is already there.
    """
    spec = kernelspec_dir(prefix) / "kernel.json"
    if spec.exists():
        current = json.loads(spec.read_text(encoding="utf-8"))
        if current.get("argv", [None])[0] == sys.executable and current.get(
            "display_name"
        ) == kernel_display_name(prefix):
            return spec.parent
    from ipykernel.kernelspec import install

    return Path(
        install(kernel_name=KERNEL_NAME, display_name=kernel_display_name(prefix), prefix=prefix)
    )


def write_settings(directory: Path = SETTINGS_DIR) -> Path:
    """Write :data:`LAB_SETTINGS` as JupyterLab's ``overrides.json`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "overrides.json"
    target.write_text(json.dumps(LAB_SETTINGS, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return target


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether ``host:port`` can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    """A port the system says is free on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def choose_port(requested: int | None) -> tuple[int, str]:
    """The port to listen on, and a note to print (empty when nothing needs saying).

    A port the user asked for must be free (:class:`LabError` otherwise); without one,
    :data:`DEFAULT_PORT` is used when free, else another free port, and the note says so.
    """
    if requested is not None:
        if not port_is_free(requested):
            raise LabError(
                f"port {requested} on {HOST} is busy (another program listens on it). "
                "Fix: choose another with --port N, or leave out --port to take a free one."
            )
        return requested, ""
    if port_is_free(DEFAULT_PORT):
        return DEFAULT_PORT, ""
    port = free_port()
    return port, f"port {DEFAULT_PORT} on {HOST} is busy; JupyterLab uses port {port} instead."


def start_url(root: Path) -> str:
    """The page JupyterLab opens: the file browser at ``notebooks/`` when there is one."""
    return "/lab/tree/notebooks" if (root / "notebooks").is_dir() else "/lab"


def command(
    root: Path, port: int, token: str, *, browser: bool = True, settings: Path = SETTINGS_DIR
) -> list[str]:
    """The ``jupyter lab`` command line this environment runs."""
    argv = [
        str(Path(sys.executable).parent / "jupyter-lab"),
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={token}",
        f"--LabApp.default_url={start_url(root)}",
        f"--LabApp.app_settings_dir={settings}",
        f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}",
        f"--ServerApp.open_browser={browser}",
        "--LabApp.extension_manager=readonly",  # no queries to PyPI from the lab
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers often run as root
        argv.append("--ServerApp.allow_root=True")
    return argv


def register(subparsers) -> None:
    """Add ``replicate lab`` to the CLI."""
    p = subparsers.add_parser(
        "lab",
        help="open the chapters in JupyterLab (percent .py open as notebooks)",
        description="Start JupyterLab from this environment on 127.0.0.1 with a token, at "
        "notebooks/. Double-click a chapter's .py to open it as a notebook (jupytext); saving "
        "writes the .py back with only your edits. The kernel 'replicate' is installed into "
        "this environment on first use. Then `replicate book --only 05` puts your edited "
        "chapter into the site.",
    )
    p.add_argument(
        "--port", type=int, default=None, help=f"port (default {DEFAULT_PORT}, or a free one)"
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    p.add_argument(
        "--root",
        metavar="DIR",
        default=None,
        help="directory to serve (default: this repository)",
    )
    p.set_defaults(func=_handler)


def _handler(args) -> int:
    root = Path(args.root).resolve() if args.root else paths.ROOT
    if not root.is_dir():
        raise LabError(f"--root {args.root}: no such directory.")
    port, note = choose_port(args.port)
    if note:
        print(note, file=sys.stderr)
    spec = install_kernelspec()
    settings = write_settings()
    token = secrets.token_hex(24)
    argv = command(root, port, token, browser=not args.no_browser, settings=settings.parent)
    print(
        f"kernel: {kernel_display_name()} ({spec})\n"
        f"JupyterLab: http://{HOST}:{port}{start_url(root)}?token={token}\n"
        "Double-click a chapter's .py to open it as a notebook; Ctrl-C twice stops the server.",
        flush=True,
    )
    env = {**os.environ, "JUPYTER_PREFER_ENV_PATH": "1"}
    os.execve(argv[0], argv, env)
    return 0  # not reached
