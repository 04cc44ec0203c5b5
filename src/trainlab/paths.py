"""Where trainlab's configs live, in a checkout or in an installed package.

The repository's ``conf/`` is the one source of the configs. A built wheel carries it inside the
package as ``trainlab/conf`` (``pyproject.toml`` maps it there); an editable install or a plain
checkout reads the repository's own ``conf/``.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_PACKAGED_CONFIG = PACKAGE_DIR / "conf"
# True when trainlab runs from its repository (editable install, or src/ on the path).
FROM_CHECKOUT = not _PACKAGED_CONFIG.is_dir()
# The repository root of a checkout (its scripts/, benchmarks/ and conf/); meaningless installed.
PROJECT_ROOT = PACKAGE_DIR.parents[1]
SCRIPTS_DIR = PROJECT_ROOT / "scripts"
CONFIG_DIR = PROJECT_ROOT / "conf" if FROM_CHECKOUT else _PACKAGED_CONFIG
