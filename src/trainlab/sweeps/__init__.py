"""Sweeps that know their plan and continue where they stopped (``rerun.py SWEEP --resume``).

A sweep folder holds Hydra's ``multirun.yaml``, trainlab's plan of its jobs (``sweep_plan.json``:
each job's number, overrides and folder) and one folder per job with its ``run.json``
(:mod:`trainlab.sweeps.folder`). trainlab's sweepers (:mod:`trainlab.sweeps.grid` for ``-m``
grids, :mod:`trainlab.sweeps.optuna_search` for ``hparams_search=...``) write the plan, and on
``hydra.sweeper.resume=true`` decide per job from its record whether to skip it, continue it from
its ``last.ckpt``, start it again in its folder, or start it (:mod:`trainlab.sweeps.jobs`).

Why the sweeper: in Hydra the sweeper makes the job list and hands it to the launcher in batches,
``launcher.launch(batch, initial_job_idx)``, which numbers the jobs of a batch consecutively from
``initial_job_idx``; every launcher (basic, joblib, submitit) honours that contract. So the
sweeper launches each run of consecutive unfinished jobs as one batch at its first job's number:
the sweep's own launcher runs exactly the missing jobs, with their original numbers and folders,
in parallel where the launcher is parallel. A launcher wrapper would have to re-number jobs
inside each launcher, and skipping finished jobs inside the task function would still start a
process (or a SLURM job) per finished job and could not stop an Optuna search at its total.
"""
