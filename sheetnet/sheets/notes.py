"""Cell notes: each kind of formula explained once, on the first cell that uses it.

Activations, losses and optimizers bring their own notes (sheetnet.units); the wiring between
them (z, dropout, backpropagation, gradients, the Training sheet) is explained here.
"""

from __future__ import annotations

from sheetnet.model.optimizers import OPTIMIZERS
from sheetnet.model.options import TRAINED
from sheetnet.model.problem import Structure
from sheetnet.model.schedules import SCHEDULES
from sheetnet.units import batch_norm, clipping
from sheetnet.units.activations import ACTIVATIONS
from sheetnet.units.losses import LINEAR_DELTA_NOTE, LOSSES, correct_note

FIXED_NOTES = {
    "x": "This step's mini-batch: a copy of its samples' inputs from the Data sheet. The batches "
         "are a fixed, seeded shuffle; step k uses batch k mod (number of batches).",
    "mask": "Dropout mask: 1 keeps the neuron for this sample and step, 0 switches it off. Fixed, "
            "seeded numbers (never RAND()), so the workbook is reproducible; edit them if you like.",
    "ad": "Inverted dropout: a * mask / (1 - dropout_rate). Dividing by the keep probability keeps "
          "the expected activation unchanged. The next layer reads these cells, and the backward "
          "pass multiplies by the same mask / (1 - dropout_rate).",
    "z": "Pre-activation: z = w . a_prev + b. SUMPRODUCT multiplies this sample's inputs (a row) "
         "by the neuron's incoming weights (its row of W) and adds the neuron's bias.",
    "dA:hidden": "Backpropagation to this layer's outputs: dL/da_i = sum over the next layer's neurons j of "
                 "dL/dz_j * W_ji (each neuron passes its gradient back along the weight that connects them).",
    "db": "Bias gradient: dL/db_j = sum over samples of dL/dz_j (the bias adds 1 * b_j to every z_j).",
    "accuracy": "Accuracy: the share of this step's samples classified right (the mean of the 1/0 cells).",
    "gnorm": "Gradient size of each layer's weights: sqrt(SUMSQ(dL/dW)). In a deep sigmoid or tanh "
             "stack the first layers' gradients can be orders of magnitude smaller: vanishing gradients.",
    "gplot": "The gradient size again, at least 1e-12, for the log-scale chart: a log scale has no 0, so a "
             "gradient that is exactly 0 (every ReLU switched off, say) is drawn at 1e-12, the chart's floor.",
    "y": "The target of this sample, from the Data sheet, beside the prediction it is compared with.",
}
CONV_NOTES = {
    "kt": "The same kernel as its row on the left, laid out k x k: the shape of the image window it is "
          "multiplied by. Edit the row at step 0, not these cells.",
    "cx": "This sample's image: its inputs from the Data sheet, read row by row into height x width cells.",
    "cz": "Convolution: z = SUMPRODUCT(the k x k window of the image under this position, the kernel) + the "
          "kernel's bias. The same kernel slides over every position (stride 1, no padding), so a map is where "
          "in the image the kernel's pattern is found.",
    "cp": "Max pooling: the largest z of a p x p window of the map (windows side by side, stride p). The "
          "activation comes after it on Layer 1: every activation here never decreases, so f(max z) = max f(z), "
          "the same numbers as pooling after the activation, in a quarter of the cells.",
    "x:conv": "The dense layer's inputs: the activation of every pooled cell of the Conv sheet, flattened in "
              "torch's order (filter, then row, then column).",
    "dx": "Backpropagation to the pooled maps: dL/dx_m = sum over this layer's neurons j of dL/dz_j * W_jm.",
    "cdz": "A map's gradient: max pooling passed its output on from one cell of each window, the first largest "
           "(torch's rule on ties). That cell gets the pooled input's gradient dL/dx times the activation's "
           "slope; every other cell 0.",
    "dK": "Kernel gradient: dL/dK[r,c] = sum over the batch and the map's positions of dL/dz * the image value "
          "the weight K[r,c] met there. One SUMPRODUCT: this filter's gradient tiles of every sample against the "
          "image tiles shifted by (r, c); the blank rows between tiles count 0.",
    "dkb": "Kernel bias gradient: the sum of every dL/dz of this filter's map, over the batch (the bias adds to "
           "every position).",
}
DW_NOTE = ("Weight gradient: dL/dW_ji = sum over samples of dL/dz_j * a_prev_i: SUMPRODUCT of "
           "the neuron's dz column and the input's column.")
DW_L2_NOTE = " Plus 2 * l2_penalty * W_ji from the L2 penalty l2_penalty * sum(W^2)."
LOSS_NOTE = "Loss at this step: the mean of the loss terms on the output layer's sheet."
LOSS_L2_NOTE = " Plus l2_penalty * sum of every squared weight (SUMSQ)."


def _gradient_note(structure: Structure, kind: str, layer: int) -> tuple[str, str]:
    """Notes of dL/da and dL/dz: from the loss at the output, from the activation elsewhere."""
    s = structure
    act = s.activation(layer)
    n = LOSSES[s.loss].divisor(s.max_batch, s.sizes[-1])
    output = layer == s.n_layers
    if kind == "dA":
        return ("dA:out", LOSSES["mse"].delta_note(n)) if output else ("dA:hidden", FIXED_NOTES["dA:hidden"])
    if output and LOSSES[s.loss].cancels:
        return f"dz:{s.loss}", LOSSES[s.loss].delta_note(n)
    if act == "linear":
        return "dz:mse-linear", LINEAR_DELTA_NOTE.format(n=n)
    return f"dz:{act}", ACTIVATIONS[act].backward_note


def _optimizer_note(structure: Structure, kind: str) -> tuple[str, str] | None:
    optimizer = OPTIMIZERS[structure.optimizer]
    if kind in TRAINED:
        return f"update:{optimizer.name}", optimizer.update_note
    for state in optimizer.states:
        if kind.startswith(state.name + "_"):
            return state.name, state.note
    for column in optimizer.columns:
        if kind == column.name:
            return kind, column.note
    return None


def note_for(structure: Structure, kind: str, layer: int) -> tuple[str, str] | None:
    """(note key, text) for the first cell of a block of this kind; the key says when it repeats."""
    s = structure
    if kind == "x" and s.conv:
        return kind, CONV_NOTES["x:conv"]
    if kind in CONV_NOTES:
        return kind, CONV_NOTES[kind]
    if kind in FIXED_NOTES:
        return kind, FIXED_NOTES[kind]
    if kind == "a":
        act = s.activation(layer)
        return f"a:{act}", ACTIVATIONS[act].note
    if kind in ("max", "exp", "sum"):
        return f"softmax:{kind}", ACTIVATIONS["softmax"].note
    if kind == "loss_terms":
        return f"loss:{s.loss}", LOSSES[s.loss].note
    if kind in batch_norm.NOTES and (kind != "dz" or s.normalised(layer)):
        return f"bn:{kind}", batch_norm.NOTES[kind]
    if kind in ("dA", "dz"):
        return _gradient_note(s, kind, layer)
    if kind == "dW":
        return "dW", DW_NOTE + (DW_L2_NOTE if s.use_l2 else "")
    if kind == "loss":
        return "loss", LOSS_NOTE + (LOSS_L2_NOTE if s.use_l2 else "")
    if kind == "correct":
        return "correct", correct_note(s.sizes[-1])
    if kind == "lr":
        return "lr", SCHEDULES[s.schedule].note + " The update from step k to k+1 uses the rate of row k."
    if kind == "tnorm":
        return "tnorm", clipping.TOTAL_NOTE
    if kind == "clip":
        return "clip", clipping.FACTOR_NOTE
    return _optimizer_note(s, kind)
