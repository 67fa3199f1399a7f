"""Cell notes: each kind of formula explained once, on the first cell that uses it."""

from __future__ import annotations

from sheetnet.model.problem import Structure

ACTIVATION_NOTES = {
    "relu": "ReLU: a = max(0, z), written =IF(z>0,z,0). Negative inputs are switched off.",
    "leaky_relu": (
        "Leaky ReLU: a = z if z > 0, else slope * z (slope is the named cell leaky_slope). "
        "Unlike ReLU, a negative z still lets a little gradient through."
    ),
    "sigmoid": (
        "Sigmoid: a = 1 / (1 + e^-z), squashing z into (0, 1). Written in a stable form, "
        "EXP(MIN(z,0)) / (1 + EXP(-ABS(z))): the exponent is never positive, so EXP never "
        "overflows, and for z >= 0 it equals 1/(1+e^-z), for z < 0 it equals e^z/(1+e^z)."
    ),
    "tanh": "tanh: a = (e^z - e^-z) / (e^z + e^-z), squashing z into (-1, 1).",
    "linear": "Linear output: a = z (no activation), the usual choice for regression with MSE.",
    "softmax": (
        "Softmax: a_j = e^(z_j) / sum_k e^(z_k), turning scores into probabilities that sum to 1. "
        "Computed from exp(z - max): subtracting the row's largest z changes nothing in the "
        "ratio but keeps EXP from overflowing."
    ),
}

DERIVATIVE_NOTES = {
    "relu": "Chain rule through ReLU: dL/dz = dL/da * ReLU'(z), and ReLU'(z) is 1 if z > 0 else 0: =IF(z>0,dL/da,0).",
    "leaky_relu": "Chain rule through leaky ReLU: dL/dz = dL/da if z > 0, else leaky_slope * dL/da.",
    "sigmoid": "Chain rule through sigmoid: sigma'(z) = a (1 - a), so dL/dz = dL/da * a * (1 - a).",
    "tanh": "Chain rule through tanh: tanh'(z) = 1 - a^2, so dL/dz = dL/da * (1 - a^2).",
    "softmax": (
        "Chain rule through softmax: dL/dz_j = a_j * (dL/da_j - sum_k dL/da_k * a_k), "
        "because every output depends on every z."
    ),
}

LOSS_NOTES = {
    "mse": "Squared error of one output for one sample: (a - y)^2. The loss is their mean (torch.nn.MSELoss).",
    "bce": (
        "Binary cross-entropy from the pre-activation z (as torch.nn.BCEWithLogitsLoss): "
        "max(z,0) - z*y + ln(1 + e^-|z|). Equal to -(y ln a + (1-y) ln(1-a)) but never takes ln(0) "
        "or overflows."
    ),
    "cross_entropy": (
        "Cross-entropy of one sample: -sum_j y_j ln(a_j). With ln(a_j) = z_j - max - ln(sum of exp), "
        "this is (max + ln(sum)) * sum(y) - sum(y * z): no ln(0), no overflow."
    ),
}


def note_for(structure: Structure, kind: str, layer: int) -> tuple[str, str] | None:
    """(note key, text) for the first cell of a block of this kind; the key says when it repeats."""
    s = structure
    last = s.n_layers
    act = s.activation(layer) if layer else ""
    n = s.max_batch * (1 if s.loss == "cross_entropy" else s.sizes[-1])
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
        return f"a:{act}", ACTIVATION_NOTES[act]
    if kind in ("max", "exp", "sum"):
        return f"softmax:{kind}", ACTIVATION_NOTES["softmax"]
    if kind == "loss_terms":
        return f"loss:{s.loss}", LOSS_NOTES[s.loss]
    if kind == "dA" and layer == last:
        return "dA:out", (
            f"Gradient of the loss with respect to each output: d/da of mean (a - y)^2 = 2 (a - y) / {n}, "
            f"where {n} is the number of terms in the mean."
        )
    if kind == "dA":
        return "dA:hidden", (
            "Backpropagation to this layer's outputs: dL/da_i = sum over the next layer's neurons j of "
            "dL/dz_j * W_ji (each neuron passes its gradient back along the weight that connects them)."
        )
    if kind == "dz" and layer == last:
        if s.loss == "bce":
            return "dz:bce", (
                f"Output delta for sigmoid + binary cross-entropy: dL/dz = (a - y) / {n}. The sigmoid's "
                "slope a(1-a) cancels against the loss's 1/(a(1-a)), which is why this pairing trains well."
            )
        if s.loss == "cross_entropy":
            return "dz:ce", (
                f"Output delta for softmax + cross-entropy: dL/dz = (a - y) / {n} (samples). The softmax "
                "Jacobian and the log cancel to this simple difference."
            )
        if act == "linear":
            return "dz:mse-linear", (
                f"Output delta for a linear output with MSE: dL/dz = dL/da = 2 (a - y) / {n}."
            )
        return f"dz:{act}", DERIVATIVE_NOTES[act]
    if kind == "dz":
        return f"dz:{act}", DERIVATIVE_NOTES[act]
    if kind == "dW":
        text = ("Weight gradient: dL/dW_ji = sum over samples of dL/dz_j * a_prev_i: SUMPRODUCT of "
                "the neuron's dz column and the input's column.")
        if s.use_l2:
            text += " Plus 2 * l2_penalty * W_ji from the L2 penalty l2_penalty * sum(W^2)."
        return "dW", text
    if kind == "db":
        return "db", "Bias gradient: dL/db_j = sum over samples of dL/dz_j (the bias adds 1 * b_j to every z_j)."
    if kind in ("W", "b"):
        texts = {
            "sgd": "Gradient descent update: new parameter = old - learning_rate * gradient (previous step's block).",
            "momentum": "Momentum update: new parameter = old - learning_rate * velocity.",
            "adam": (
                "Adam update: new = old - learning_rate * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon), "
                "with the bias corrections from the Training sheet."
            ),
        }
        return f"update:{s.optimizer}", texts[s.optimizer]
    if kind.startswith("vel_"):
        return "vel", "Velocity (momentum): v = momentum * v_previous + gradient; v starts at 0 (torch.optim.SGD)."
    if kind.startswith("m_"):
        return "m", "Adam first moment: m = beta1 * m_previous + (1 - beta1) * gradient; m starts at 0."
    if kind.startswith("v_"):
        return "v", "Adam second moment: v = beta2 * v_previous + (1 - beta2) * gradient^2; v starts at 0."
    if kind == "loss":
        text = "Loss at this step: the mean of the loss terms on the output layer's sheet."
        if s.use_l2:
            text += " Plus l2_penalty * sum of every squared weight (SUMSQ)."
        return "loss", text
    if kind == "correct":
        text = ("1 when this sample is classified right, else 0: output > 0.5 agrees with target > 0.5"
                if s.sizes[-1] == 1 else
                "1 when the target class has the largest probability (SUMPRODUCT(a, y) picks the target's "
                "probability; compare it with the row's MAX), else 0")
        return "correct", text
    if kind == "accuracy":
        return "accuracy", "Accuracy: the share of this step's samples classified right (the mean of the 1/0 cells)."
    if kind == "gnorm":
        return "gnorm", ("Gradient size of each layer's weights: sqrt(SUMSQ(dL/dW)). In a deep sigmoid or tanh "
                         "stack the first layers' gradients can be orders of magnitude smaller: vanishing gradients.")
    if kind in ("bc1", "bc2"):
        return kind, "Adam bias correction at step t: 1 - beta^t; it undoes the moments' start at 0."
    return None
