"""A live TensorBoard server on a generated sweep: its HTTP data endpoints list every run."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trainlab.compare import read_sweep
from trainlab.summary import CHOICE_SECTIONS

pytestmark = pytest.mark.slow

READY_TIMEOUT_S = 90
HEADLINE = ("loss", "activation", "optimizer", "optimizer.lr", "seed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TensorBoard:
    """Talks to a running TensorBoard's JSON endpoints."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def get(self, route: str) -> Any:
        with urllib.request.urlopen(self.base + route, timeout=10) as response:
            return json.load(response)

    def post(self, route: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.base + route,
            data=json.dumps(body).encode(),
            # TensorBoard refuses POSTs without this header (its XSRF guard).
            headers={"Content-Type": "application/json", "X-XSRF-Protected": "1"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


def runs_with_events(sweep: Path) -> set[str]:
    """Runs of ``sweep`` that wrote event files (a job failing on bad input never trains)."""
    return {r.name for r in read_sweep(sweep) if any(r.run_dir.rglob("events.out.tfevents.*"))}


@pytest.fixture(scope="module")
def tensorboard(generated_sweep: Path) -> Iterator[TensorBoard]:
    """``tensorboard --logdir <sweep>`` on a free port, ready once it lists every completed run."""
    port = free_port()
    expected = runs_with_events(generated_sweep)
    command = [
        *(sys.executable, "-m", "tensorboard.main"),
        *("--logdir", str(generated_sweep), "--host", "127.0.0.1", "--port", str(port)),
        *("--load_fast", "false", "--reload_interval", "1"),
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    client = TensorBoard(port)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            assert server.poll() is None, server.stderr.read().decode()
            try:
                if expected <= set(client.get("/data/runs")):
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert time.monotonic() < deadline, "TensorBoard did not list every run in time"
            time.sleep(0.5)
        yield client
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_every_run_is_listed(tensorboard: TensorBoard, generated_sweep: Path) -> None:
    runs = set(tensorboard.get("/data/runs"))
    logged = runs_with_events(generated_sweep)
    assert logged <= runs
    assert len(logged) == 5  # four grid runs and the diverged one; the failed one logged nothing


def test_scalar_tags_are_consistent_across_runs(
    tensorboard: TensorBoard, generated_sweep: Path
) -> None:
    tags = tensorboard.get("/data/plugin/scalars/tags")
    completed = {r.name for r in read_sweep(generated_sweep) if r.status == "completed"}
    assert len(completed) == 4
    shared = {"train/loss_step", "val/loss", "val/acc", "grad_norm/total", "grad_norm/hidden1"}
    for run in completed:
        assert shared <= set(tags[run]), run


def test_histograms_of_gradients_weights_and_activations(tensorboard: TensorBoard) -> None:
    tags = tensorboard.get("/data/plugin/histograms/tags")
    grid = [run for run in tags if "loss=" in run]
    assert len(grid) == 4
    for run in grid:
        names = set(tags[run])
        assert {"grad_hist/hidden1", "weight_hist/hidden1", "activation_hist/act1"} <= names


def test_hparams_tab_shows_choices_and_final_metrics(
    tensorboard: TensorBoard, generated_sweep: Path
) -> None:
    experiment = tensorboard.post("/data/plugin/hparams/experiment", {"experimentName": ""})
    hparams = {info["name"] for info in experiment["hparamInfos"]}
    assert set(HEADLINE) <= hparams
    # TensorBoard sorts the columns itself, so what leads is what is there: the choices, the
    # seed and the keys the sweep set, not a column per default argument nobody chose.
    overridden = {key for run in read_sweep(generated_sweep) for key in run.choices}
    assert hparams <= {*HEADLINE, *CHOICE_SECTIONS, *overridden}
    assert "optimizer.dampening" not in hparams and "data.noise" not in hparams
    metrics = {info["name"]["tag"] for info in experiment["metricInfos"]}
    assert {"hp/val_loss", "hp/test_acc"} <= metrics

    groups = tensorboard.post(
        "/data/plugin/hparams/session_groups",
        {
            "experimentName": "",
            "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE"],
            "colParams": [{"hparam": "loss"}, {"hparam": "optimizer"}],
            "startIndex": 0,
            "sliceSize": 100,
        },
    )
    hp_values = [
        ((g["hparams"]["loss"], g["hparams"]["optimizer"]), metric_values(g))
        for g in groups["sessionGroups"]
    ]
    assert len(hp_values) == 5
    # The diverged run is its own group; TensorBoard sends its NaN metrics as the string "NaN".
    diverged = [values for _, values in hp_values if values["hp/val_loss"] == "NaN"]
    assert len(diverged) == 1
    finite = {pair: values for pair, values in hp_values if values["hp/val_loss"] != "NaN"}
    assert set(finite) == {
        (loss, opt) for loss in ("mse", "cross_entropy") for opt in ("sgd", "adam")
    }
    for values in finite.values():
        assert 0.0 < values["hp/val_loss"] < 10.0
        assert 0.0 <= values["hp/test_acc"] <= 1.0


def metric_values(group: dict[str, Any]) -> dict[str, Any]:
    """``{"hp/val_loss": 0.41, ...}`` of one HParams session group."""
    return {m["name"]["tag"]: m["value"] for m in group["metricValues"]}


def test_resolved_config_is_shown_as_text(tensorboard: TensorBoard) -> None:
    tags = tensorboard.get("/data/plugin/text/tags")
    # SummaryWriter.add_text stores tag "config" as "config/text_summary".
    assert all("config/text_summary" in run_tags for run_tags in tags.values()), tags
    assert len(tags) >= 5
