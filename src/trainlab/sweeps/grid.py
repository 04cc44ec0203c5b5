"""The ``-m`` grid sweeper: Hydra's basic sweeper that writes its plan and can be resumed.

Hydra's plugin loader only instantiates classes from the ``hydra_plugins`` package;
``hydra_plugins.trainlab_sweepers`` declares the plugin as a subclass of this one.
"""

from __future__ import annotations

from pathlib import Path

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn
from omegaconf import OmegaConf

from trainlab.sweeps.composed_jobs import ComposesJobsOnce
from trainlab.sweeps.folder import SWEEP_CONFIG, SweepPlan, write_plan
from trainlab.sweeps.jobs import JobAction
from trainlab.sweeps.launching import launch_jobs, plan_job, plan_resumed_job, resume_actions


class ResumableGridSweeper(ComposesJobsOnce, BasicSweeper):
    """Hydra's :class:`BasicSweeper` (the product of the ``-m`` values, launched in batches of
    ``max_batch_size``) that first composes every job and writes the plan (``sweep_plan.json``);
    with ``resume`` it runs only the jobs its folder has not finished, with their numbers.
    """

    def __init__(
        self,
        max_batch_size: int | None = None,
        params: dict[str, str] | None = None,
        resume: bool = False,
        retry_failed: bool = False,
    ) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.resume = resume
        self.retry_failed = retry_failed

    def sweep(self, arguments: list[str]) -> list[list[JobReturn]]:
        """Run the sweep (or, resuming, what is left of it); the jobs' returns per batch."""
        assert self.config is not None and self.launcher is not None
        assert self.hydra_context is not None
        loader = self.hydra_context.config_loader
        parser = OverridesParser.create(config_loader=loader)
        batches = self.split_arguments(
            parser.parse_overrides([*self._parse_config(), *arguments]), self.max_batch_size
        )
        make_job = plan_resumed_job if self.resume else plan_job
        numbered = enumerate(overrides for batch in batches for overrides in batch)
        jobs = [make_job(loader, self.config, num, overrides) for num, overrides in numbered]

        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        if self.resume:
            actions = resume_actions(sweep_dir, jobs, self.retry_failed)
        else:
            OmegaConf.save(self.config, sweep_dir / SWEEP_CONFIG)
            actions = {job.num: JobAction.START for job in jobs}
        write_plan(sweep_dir, SweepPlan("grid", len(jobs), tuple(jobs)))

        returns: list[list[JobReturn]] = []
        first = 0
        for batch in batches:
            results = launch_jobs(self.launcher, jobs[first : first + len(batch)], actions)
            for result in results:
                _ = result.return_value  # re-raises an exception the job raised, as Hydra does
            returns.append(results)
            first += len(batch)
        return returns
