"""Run a family's mteb side under the transformers version its wrapper is pinned to.

Some mteb 2.26 wrappers only run on an older transformers than mteb's own venv has (GME: extra
`gme`, transformers < 4.52; E5-V: extra `e5-v`, transformers <= 4.44.2). Their mteb_side module
calls `run(...)`: in an interpreter whose transformers fits, the wrapper runs right here;
otherwise the module is run again as a script in the environment an environment variable names:

* a python interpreter, or a venv directory holding `bin/python`: that interpreter runs it;
* any other directory: this interpreter runs it with that directory first on PYTHONPATH (a
  `pip install --target DIR` of the old transformers and its tokenizers).

The script writes the arrays to an .npz, which is read back here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

MTEB_REFERENCE = Path(__file__).resolve().parents[2]  # parity_families/ lives here
BENCHMARKS = MTEB_REFERENCE.parent  # tinymodels/ lives here

Embed = Callable[[Path], dict[str, np.ndarray]]


def transformers_fits(requirement: str) -> bool:
    import transformers
    from packaging.specifiers import SpecifierSet

    return transformers.__version__ in SpecifierSet(requirement)


def _command(target: str, module: str, args: list[str]) -> tuple[list[str], dict[str, str]]:
    path = Path(target)
    python = path / "bin" / "python" if path.is_dir() else path
    extra = [str(MTEB_REFERENCE), str(BENCHMARKS)]
    if not python.is_file():  # a directory for PYTHONPATH
        python, extra = Path(sys.executable), [str(path), *extra]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*extra, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return [str(python), "-m", module, *args], env


def _error_line(stderr: str) -> str:
    """The exception line of a traceback (its last line naming an exception), else the last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line)]
    return (errors or lines or ["?"])[-1]


def run(
    module: str,
    checkpoint: Path,
    embed_here: Embed,
    *,
    requirement: str,
    env_var: str,
    setup: str,
) -> dict[str, np.ndarray]:
    """`embed_here(checkpoint)` in an environment whose transformers meets `requirement`."""
    if transformers_fits(requirement):
        return embed_here(checkpoint)
    target = os.environ.get(env_var)
    if not target:
        import transformers

        raise RuntimeError(
            f"mteb's wrapper needs transformers{requirement} (here {transformers.__version__});"
            f" set {env_var} to such a python or PYTHONPATH dir, e.g. {setup}"
        )
    with tempfile.TemporaryDirectory(prefix="mieb-parity-") as tmp:
        out = Path(tmp) / "arrays.npz"
        command, env = _command(target, module, [str(checkpoint), str(out)])
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{env_var}={target}: {_error_line(done.stderr)}")
        with np.load(out) as arrays:
            return {name: arrays[name] for name in arrays.files}


def main(embed_here: Embed, requirement: str) -> None:
    """Script entry: `python -m parity_families.mteb_side.<family> CHECKPOINT OUT.npz`."""
    if not transformers_fits(requirement):
        import transformers

        sys.exit(f"transformers {transformers.__version__} does not meet {requirement}")
    checkpoint, out = Path(sys.argv[1]), Path(sys.argv[2])
    np.savez(out, **embed_here(checkpoint))
