"""Where Hydra looks for configs: trainlab's own, then the user's project's ``conf/``.

A user's project keeps its own options (``conf/loss/log_cosh.yaml``, ``conf/experiment/*.yaml``)
beside its code. The working directory's ``conf/`` joins Hydra's search path by itself, after
trainlab's configs (trainlab's options keep their names); any other folder is added with Hydra's
``hydra.searchpath=[file:///path/to/conf]``. A rerun passes the recorded extra folders on, since
Hydra records ``hydra.*`` overrides apart from the task's.
"""

from __future__ import annotations

from pathlib import Path

from hydra.core.config_search_path import ConfigSearchPath
from hydra.core.plugins import Plugins
from hydra.plugins.search_path_plugin import SearchPathPlugin
from omegaconf import OmegaConf

from trainlab.paths import CONFIG_DIR

PROJECT_PROVIDER = "trainlab project"
# Hydra's name for the folders given as hydra.searchpath on the command line.
COMMAND_LINE_PROVIDER = "hydra.searchpath in command-line"


class ProjectConfigs(SearchPathPlugin):
    """Adds ``./conf`` of the working directory, when it exists, after trainlab's configs."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        """Append the project's ``conf/`` (not trainlab's own, when run from its checkout)."""
        folder = (Path.cwd() / "conf").resolve()
        if folder.is_dir() and folder != CONFIG_DIR.resolve():
            search_path.append(provider=PROJECT_PROVIDER, path=f"file://{folder}")


def register_project_configs() -> None:
    """Make Hydra search the project's ``conf/`` in this process; idempotent."""
    Plugins.instance().register(ProjectConfigs)


def recorded_search_path(run_dir: Path) -> list[str]:
    """``hydra.searchpath=[...]`` with the extra config folders ``run_dir``'s run composed from.

    Empty when the run used trainlab's configs alone (or ``.hydra/hydra.yaml`` is missing).
    """
    path = Path(run_dir) / ".hydra" / "hydra.yaml"
    if not path.is_file():
        return []
    sources = OmegaConf.select(OmegaConf.load(path), "hydra.runtime.config_sources") or []
    extra = list(
        dict.fromkeys(  # ./conf given on the command line too is searched once
            f"{source.schema}://{source.path}"
            for source in sources
            if source.provider in (PROJECT_PROVIDER, COMMAND_LINE_PROVIDER)
        )
    )
    if not extra:
        return []
    quoted = ",".join("'" + p.replace("\\", "\\\\").replace("'", "\\'") + "'" for p in extra)
    return [f"hydra.searchpath=[{quoted}]"]
