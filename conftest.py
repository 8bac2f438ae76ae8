"""Root conftest of the pytest-mieb checkout.

The plugin normally arrives through its `pytest11` entry point once the package is
installed; in a bare checkout (not installed) we register it from the source tree.
"""

from importlib.metadata import PackageNotFoundError, distribution

try:
    distribution("pytest-mieb")
except PackageNotFoundError:  # pragma: no cover - only in an uninstalled checkout
    pytest_plugins = ["pytest_mieb.plugin.hooks"]
