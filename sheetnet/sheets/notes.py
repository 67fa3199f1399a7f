"""Cell notes: each kind of formula explained once, on the first cell that uses it."""

from __future__ import annotations

from sheetnet.model.problem import Structure
from sheetnet.units.activations import ACTIVATIONS
from sheetnet.units.losses import LINEAR_DELTA_NOTE, LOSSES, correct_note
from sheetnet.units.optimizers import OPTIMIZERS


def note_for(structure: Structure, kind: str, layer: int) -> tuple[str, str] | None:
    """(note key, text) for the first cell of a block of this kind; the key says when it repeats."""
    s = structure
    last = s.n_layers
    act = s.activation(layer) if layer else ""
    n = LOSSES[s.loss].divisor(s.max_batch, s.sizes[-1])
    if kind == "x":
        return "x", ("This step's mini-batch: a copy of its samples' inputs from the Data sheet. The batches "
                     "are a fixed, seeded shuffle; step k uses batch k mod (number of batches).")
    if kind == "mask":
        return "mask", ("Dropout mask: 1 keeps the neuron for this sample and step, 0 switches it off. Fixed, "
                        "seeded numbers (never RAND()), so the workbook is reproducible; edit them if you like.")
    if kind == "ad":
        return "ad", ("Inverted dropout: a * mask / (1 - dropout_rate). Dividing by the keep probability keeps "
                      "the expected activation unchanged. The next layer reads these cells, and the backward "
                      "pass multiplies by the same mask / (1 - dropout_rate).")
    if kind == "z":
        return "z", (
            "Pre-activation: z = w . a_prev + b. SUMPRODUCT multiplies this sample's inputs (a row) "
            "by the neuron's incoming weights (its row of W) and adds the neuron's bias."
        )
    if kind == "a":
        return f"a:{act}", ACTIVATIONS[act].note
    if kind in ("max", "exp", "sum"):
        return f"softmax:{kind}", ACTIVATIONS["softmax"].note
    if kind == "loss_terms":
        return f"loss:{s.loss}", LOSSES[s.loss].note
    if kind == "dA" and layer == last:
        return "dA:out", LOSSES["mse"].delta_note(n)
    if kind == "dA":
        return "dA:hidden", (
            "Backpropagation to this layer's outputs: dL/da_i = sum over the next layer's neurons j of "
            "dL/dz_j * W_ji (each neuron passes its gradient back along the weight that connects them)."
        )
    if kind == "dz" and layer == last and LOSSES[s.loss].cancels:
        return f"dz:{s.loss}", LOSSES[s.loss].delta_note(n)
    if kind == "dz" and act == "linear":
        return "dz:mse-linear", LINEAR_DELTA_NOTE.format(n=n)
    if kind == "dz":
        return f"dz:{act}", ACTIVATIONS[act].backward_note
    if kind == "dW":
        text = ("Weight gradient: dL/dW_ji = sum over samples of dL/dz_j * a_prev_i: SUMPRODUCT of "
                "the neuron's dz column and the input's column.")
        if s.use_l2:
            text += " Plus 2 * l2_penalty * W_ji from the L2 penalty l2_penalty * sum(W^2)."
        return "dW", text
    if kind == "db":
        return "db", "Bias gradient: dL/db_j = sum over samples of dL/dz_j (the bias adds 1 * b_j to every z_j)."
    optimizer = OPTIMIZERS[s.optimizer]
    if kind in ("W", "b"):
        return f"update:{s.optimizer}", optimizer.update_note
    for state in optimizer.states:
        if kind.startswith(state.name + "_"):
            return state.name, state.note
    for column in optimizer.columns:
        if kind == column.name:
            return kind, column.note
    if kind == "loss":
        text = "Loss at this step: the mean of the loss terms on the output layer's sheet."
        if s.use_l2:
            text += " Plus l2_penalty * sum of every squared weight (SUMSQ)."
        return "loss", text
    if kind == "correct":
        return "correct", correct_note(s.sizes[-1])
    if kind == "accuracy":
        return "accuracy", "Accuracy: the share of this step's samples classified right (the mean of the 1/0 cells)."
    if kind == "gnorm":
        return "gnorm", ("Gradient size of each layer's weights: sqrt(SUMSQ(dL/dW)). In a deep sigmoid or tanh "
                         "stack the first layers' gradients can be orders of magnitude smaller: vanishing gradients.")
    return None
