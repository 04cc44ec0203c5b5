"""The Optuna search (``hparams_search=...``): hydra-optuna-sweeper's, resumable to its total.

Written by hand because hydra-optuna-sweeper 1.3 cannot continue a study: it asks ``n_trials``
new trials on every start (the fix, hydra PR #2647, was never merged) and cannot finish the
trials of a killed process. This sweeper keeps the plugin's pieces (search space, trial
configuration, directions, results file) and replaces its loop:

* the study lives in the sweep folder (``storage``, sqlite by default), so a resume loads it;
* the sampler is pickled beside it (``optuna_sampler.pkl``) after every batch is asked (the
  storage keeps the trials, not the sampler's random state), so the resumed search draws exactly
  the trials the uninterrupted one would have;
* a trial the killed process left ``RUNNING`` keeps its number and parameters: its job continues
  in its folder (or restarts there, or is read back if it had finished) and its result is told
  to the study, so no trial is lost or run twice;
* then it asks the trials still missing to reach ``n_trials``; job number = trial number.
"""

from __future__ import annotations

import functools
import logging
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
from hydra.core.utils import JobReturn
from hydra_plugins.hydra_optuna_sweeper._impl import (
    OptunaSweeperImpl,
    create_params_from_overrides,
)
from omegaconf import OmegaConf
from optuna.trial import FrozenTrial, TrialState

from trainlab.atomic_write import write_bytes_atomically
from trainlab.run_dir import rerun_command
from trainlab.sweeps.composed_jobs import ComposesJobsOnce
from trainlab.sweeps.folder import SWEEP_CONFIG, PlannedJob, SweepPlan, write_plan
from trainlab.sweeps.jobs import JobAction, recorded_result
from trainlab.sweeps.launching import (
    launch_jobs,
    plan_job,
    plan_resumed_job,
    refuse,
    resume_actions,
)

log = logging.getLogger(__name__)
SAMPLER_FILE = "optuna_sampler.pkl"
RESULTS_FILE = "optimization_results.yaml"


class ResumableOptunaSearch(ComposesJobsOnce, OptunaSweeperImpl):
    """hydra-optuna-sweeper's search, run (and with ``resume`` continued) to ``n_trials`` in all."""

    def __init__(
        self, *args: Any, resume: bool = False, retry_failed: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.resume = resume
        self.retry_failed = retry_failed

    def sweep(self, arguments: list[str]) -> None:
        """Run the search, or what is left of it, and write ``optimization_results.yaml``."""
        assert self.config is not None and self.hydra_context is not None
        if isinstance(self.sampler, functools.partial):  # GridSampler: its grid comes later
            refuse(
                "trainlab's Optuna search does not run GridSampler; sweep a grid with plain -m "
                "(the grid sweeper runs every combination and resumes too)"
            )
        self._process_searchspace_config()
        distributions, fixed = create_params_from_overrides(
            [*self._parse_sweeper_params_config(), *arguments]
        )
        distributions = {**(self.search_space_distributions or {}), **distributions}
        for name in fixed:
            distributions.pop(name, None)

        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        # The sqlite storage's schema tool lists its plugins at INFO on every start.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        study = optuna.create_study(
            study_name=self.study_name,
            storage=self.storage,
            sampler=self.sampler,
            directions=self._get_directions(),
            load_if_exists=True,
        )
        trials = study.get_trials(deepcopy=False)
        if not self.resume:
            if trials:
                refuse(
                    f"{sweep_dir} already holds Optuna study {study.study_name!r} with "
                    f"{len(trials)} trials; continue it with: "
                    f"{rerun_command(sweep_dir, resume=True)}, or choose another hydra.sweep.dir"
                )
            OmegaConf.save(self.config, sweep_dir / SWEEP_CONFIG)
        elif (sweep_dir / SAMPLER_FILE).is_file():
            # The sweep's own file, written by this sweeper (trusted as its checkpoints are).
            study.sampler = pickle.loads((sweep_dir / SAMPLER_FILE).read_bytes())

        jobs = [self._planned(trial, fixed) for trial in trials]
        write_plan(sweep_dir, SweepPlan("optuna", self.n_trials, tuple(jobs)))
        unfinished = [
            job
            for job, trial in zip(jobs, trials, strict=True)
            if trial.state == TrialState.RUNNING
        ]
        if unfinished:
            log.info("Finishing %d trials the stopped search left running", len(unfinished))
            self._run(
                study,
                sweep_dir,
                unfinished,
                resume_actions(sweep_dir, unfinished, self.retry_failed),
            )

        while (missing := self.n_trials - len(study.get_trials(deepcopy=False))) > 0:
            batch = [study.ask() for _ in range(min(self.n_jobs, missing))]
            overrides = self._configure_trials(batch, distributions, fixed)
            asked = [
                plan_job(self.hydra_context.config_loader, self.config, trial.number, job)
                for trial, job in zip(batch, overrides, strict=True)
            ]
            jobs += asked
            write_plan(sweep_dir, SweepPlan("optuna", self.n_trials, tuple(jobs)))
            write_bytes_atomically(sweep_dir / SAMPLER_FILE, pickle.dumps(study.sampler))
            self._run(study, sweep_dir, asked, {job.num: JobAction.START for job in asked})
        self._write_results(study, sweep_dir)

    def _planned(self, trial: FrozenTrial, fixed: dict[str, Any]) -> PlannedJob:
        """The job of a trial already in the study, with the overrides it was launched with."""
        assert self.config is not None and self.hydra_context is not None
        overrides = [f"{name}={value}" for name, value in {**trial.params, **fixed}.items()]
        return plan_resumed_job(
            self.hydra_context.config_loader, self.config, trial.number, overrides
        )

    def _run(
        self,
        study: optuna.Study,
        sweep_dir: Path,
        jobs: Sequence[PlannedJob],
        actions: dict[int, JobAction],
    ) -> None:
        """Launch the jobs that run and tell the study every job's result (trial = job number)."""
        assert self.launcher is not None
        launched = iter(launch_jobs(self.launcher, jobs, actions))
        results = [
            next(launched)
            if actions[job.num] is not JobAction.SKIP
            else recorded_result(sweep_dir / job.subdir)
            for job in jobs
        ]
        failures = [
            error
            for job, result in zip(jobs, results, strict=True)
            if (error := self._tell(study, job.num, result))
        ]
        if failures and len(failures) / len(jobs) > self.max_failure_rate:
            log.error(
                f"Failed {failures} times out of {len(jobs)} with max_failure_rate={self.max_failure_rate}."
            )
            for result in results:
                if isinstance(result, JobReturn):
                    _ = result.return_value  # raises the job's exception, as the plugin does

    def _tell(
        self, study: optuna.Study, number: int, result: JobReturn | float
    ) -> Exception | None:
        """Tell the study trial ``number``'s value (FAIL when it has none); the error, if any."""
        try:
            value = result.return_value if isinstance(result, JobReturn) else result
            values = [float(v) for v in value] if len(study.directions) > 1 else [float(value)]
            study.tell(number, values=values)
        except Exception as error:
            study.tell(number, state=TrialState.FAIL)
            log.warning(f"Failed experiment: {error}")
            return error
        return None

    def _write_results(self, study: optuna.Study, sweep_dir: Path) -> None:
        """``optimization_results.yaml``: the best trial (or the Pareto front), as the plugin writes it."""
        if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            log.warning("No trial completed: %s is not written", RESULTS_FILE)
            return
        if len(study.directions) == 1:
            best = study.best_trial
            results: dict[str, Any] = {
                "name": "optuna",
                "best_params": best.params,
                "best_value": best.value,
            }
            log.info(f"Best parameters: {best.params}")
            log.info(f"Best value: {best.value}")
        else:
            front = [{"params": t.params, "values": t.values} for t in study.best_trials]
            results = {"name": "optuna", "solutions": front}
        OmegaConf.save(OmegaConf.create(results), sweep_dir / RESULTS_FILE)
