"""The LossAdapter puts the right transform between model output and loss."""

from __future__ import annotations

import pytest
import torch

from trainlab.losses import LOSSES, LossTaskMismatchError, check_loss_fits, loss_spec
from trainlab.output_transforms import LossAdapter
from trainlab.tasks import Task


def adapter(loss: str, task: Task, num_outputs: int = 1) -> LossAdapter:
    check_loss_fits(loss, task)
    return LossAdapter(loss_spec(loss), task, num_outputs)


LOGITS = torch.tensor([[2.0, -1.0, 0.5], [0.0, 0.0, 3.0]])
BINARY_LOGITS = torch.tensor([[2.0], [-1.0]])


def test_bce_gets_sigmoid_probabilities_and_float_targets() -> None:
    bce = adapter("bce", Task.BINARY)
    torch.testing.assert_close(
        bce.loss_input(BINARY_LOGITS), torch.sigmoid(torch.tensor([2.0, -1.0]))
    )
    target = bce.loss_target(torch.tensor([1, 0]))
    assert target.dtype == torch.float32 and target.tolist() == [1.0, 0.0]


def test_bce_with_logits_gets_raw_logits() -> None:
    assert torch.equal(
        adapter("bce_with_logits", Task.BINARY).loss_input(BINARY_LOGITS), torch.tensor([2.0, -1.0])
    )


def test_mse_on_binary_is_sigmoid_plus_mse() -> None:
    mse = adapter("mse", Task.BINARY)
    torch.testing.assert_close(
        mse.loss_input(BINARY_LOGITS), torch.sigmoid(torch.tensor([2.0, -1.0]))
    )


def test_mse_on_multiclass_is_softmax_against_one_hot() -> None:
    mse = adapter("mse", Task.MULTICLASS, num_outputs=3)
    torch.testing.assert_close(mse.loss_input(LOGITS), LOGITS.softmax(dim=1))
    assert mse.loss_target(torch.tensor([0, 2])).tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


def test_nll_gets_log_softmax_and_cross_entropy_raw_logits() -> None:
    nll = adapter("nll", Task.MULTICLASS, num_outputs=3)
    torch.testing.assert_close(nll.loss_input(LOGITS), LOGITS.log_softmax(dim=1))
    assert torch.equal(adapter("cross_entropy", Task.MULTICLASS, 3).loss_input(LOGITS), LOGITS)
    assert nll.loss_target(torch.tensor([0, 2])).dtype == torch.int64


def test_regression_values_pass_through_squeezed() -> None:
    mse = adapter("mse", Task.REGRESSION)
    assert torch.equal(mse.loss_input(torch.tensor([[0.5], [-3.0]])), torch.tensor([0.5, -3.0]))


def test_predictions_for_metrics() -> None:
    torch.testing.assert_close(
        adapter("bce_with_logits", Task.BINARY).predictions(BINARY_LOGITS),
        torch.sigmoid(torch.tensor([2.0, -1.0])),
    )
    assert torch.equal(adapter("nll", Task.MULTICLASS, 3).predictions(LOGITS), LOGITS)


@pytest.mark.parametrize(
    ("loss", "task"),
    [(loss, task) for task in Task for loss in LOSSES.names() if task not in loss_spec(loss).tasks],
)
def test_loss_that_does_not_fit_the_task_lists_those_that_do(loss: str, task: Task) -> None:
    fitting = ", ".join(sorted(name for name in LOSSES.names() if task in loss_spec(name).tasks))
    with pytest.raises(LossTaskMismatchError) as error:
        adapter(loss, task)
    assert f"Loss {loss!r} does not support {task} data" in str(error.value)
    assert f"Losses for {task} data: {fitting}." in str(error.value)
