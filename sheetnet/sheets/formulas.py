"""Formula text for every derived cell, one small function per kind of quantity.

Each activation, loss and optimizer writes its forward and backward formulas side by side
(the registries below), in the spirit of micrograd. All formulas use relative references except
the named hyper-parameter cells, so a block repeats one shape per step.
"""

from __future__ import annotations

from collections.abc import Callable

from sheetnet.cellref import column_letters
from sheetnet.layout import TRAINING_SHEET, Block, Layout, quote_sheet

Formula = Callable[[int, int], str]


class Refs:
    """Cell references as seen from the sheet being written."""

    def __init__(self, layout: Layout, sheet: str):
        self.layout = layout
        self.sheet = sheet

    def _prefix(self, block: Block) -> str:
        return "" if block.sheet == self.sheet else quote_sheet(block.sheet) + "!"

    def cell(self, block: Block, i: int = 0, j: int = 0) -> str:
        return self._prefix(block) + block.cell(i, j)

    def fixed(self, block: Block, i: int = 0, j: int = 0, i1: int | None = None, j1: int | None = None) -> str:
        """An absolute reference ($B$5 or $B$5:$C$5): data that does not move from step to step."""
        first = f"${column_letters(block.col + j)}${block.row + i}"
        if i1 is None and j1 is None:
            return self._prefix(block) + first
        last = f"${column_letters(block.col + j1)}${block.row + i1}"
        return self._prefix(block) + f"{first}:{last}"

    def row(self, block: Block, i: int) -> str:
        return self._prefix(block) + block.row_area(i)

    def col(self, block: Block, j: int) -> str:
        return self._prefix(block) + block.col_area(j)

    def area_of(self, block: Block, i0: int, j0: int, i1: int, j1: int) -> str:
        return self._prefix(block) + block.area(i0, j0, i1, j1)

    def whole(self, block: Block) -> str:
        return self._prefix(block) + block.area()

    def block(self, kind: str, layer: int, step: int) -> Block:
        return self.layout.block(kind, layer, step)


# --- activations: forward a = f(z), backward dz = dA * f'(z) -------------------------------
ACTIVATION_FORWARD: dict[str, Callable[[str], str]] = {
    "relu": lambda z: f"=IF({z}>0,{z},0)",
    "leaky_relu": lambda z: f"=IF({z}>0,{z},leaky_slope*{z})",
    "sigmoid": lambda z: f"=EXP(MIN({z},0))/(1+EXP(-ABS({z})))",
    "tanh": lambda z: f"=TANH({z})",
    "linear": lambda z: f"={z}",
}

ACTIVATION_BACKWARD: dict[str, Callable[[str, str, str], str]] = {
    "relu": lambda z, a, da: f"=IF({z}>0,{da},0)",
    "leaky_relu": lambda z, a, da: f"=IF({z}>0,{da},leaky_slope*{da})",
    "sigmoid": lambda z, a, da: f"={da}*{a}*(1-{a})",
    "tanh": lambda z, a, da: f"={da}*(1-{a}^2)",
}


def _loss_divisor(layout: Layout, step: int) -> int:
    s = layout.structure
    batch = s.batch_size_at(step)
    return batch if s.loss == "cross_entropy" else batch * s.sizes[-1]


class _Rows:
    """Row i (a sample of the step's batch) and column j of a layer's input activations."""

    def __init__(self, refs: Refs, layer: int, step: int):
        self.refs = refs
        self.block = refs.layout.input_activation(layer, step)
        self.data = refs.layout.inputs_block()
        self.samples = refs.layout.structure.samples_at(step)

    def row(self, i: int) -> str:
        if self.block is not None:
            return self.refs.row(self.block, i)
        sample = self.samples[i]
        return self.refs.fixed(self.data, sample, 0, sample, self.data.ncols - 1)

    def col(self, j: int) -> str:
        if self.block is not None:
            return self.refs.col(self.block, j)
        return self.refs.fixed(self.data, 0, j, len(self.samples) - 1, j)


def _target(refs: Refs, step: int):
    """Cell reference of target j of the step's i-th sample, and the row of its targets."""
    y = refs.layout.targets_block()
    samples = refs.layout.structure.samples_at(step)
    return (lambda i, j: refs.fixed(y, samples[i], j),
            lambda i: refs.fixed(y, samples[i], 0, samples[i], y.ncols - 1))


def _bias_block(refs: Refs, layer: int, step: int) -> Block:
    return refs.block("b", layer, step if refs.layout.structure.train_biases else 0)


def forward_formulas(refs: Refs, kind: str, layer: int, step: int) -> Formula:
    """z, softmax helpers and a for one layer at one step."""
    s = refs.layout.structure
    z = refs.block("z", layer, step)
    if kind == "x":
        data, samples = refs.layout.inputs_block(), s.samples_at(step)
        return lambda i, j: f"={refs.fixed(data, samples[i], j)}"
    if kind == "z":
        prev, weights = _Rows(refs, layer, step), refs.block("W", layer, step)
        bias = _bias_block(refs, layer, step)
        return lambda i, j: (
            f"=SUMPRODUCT({prev.row(i)},{refs.row(weights, j)})+{refs.cell(bias, j)}"
        )
    if kind == "ad":
        a, mask = refs.block("a", layer, step), refs.block("mask", layer, step)
        return lambda i, j: f"={refs.cell(a, i, j)}*{refs.cell(mask, i, j)}/(1-dropout_rate)"
    if kind == "max":
        return lambda i, j: f"=MAX({refs.row(z, i)})"
    if kind == "exp":
        zmax = refs.block("max", layer, step)
        return lambda i, j: f"=EXP({refs.cell(z, i, j)}-{refs.cell(zmax, i)})"
    if kind == "sum":
        return lambda i, j: f"=SUM({refs.row(refs.block('exp', layer, step), i)})"
    if kind == "a":
        act = s.activation(layer)
        if act == "softmax":
            exp, total = refs.block("exp", layer, step), refs.block("sum", layer, step)
            return lambda i, j: f"={refs.cell(exp, i, j)}/{refs.cell(total, i)}"
        return lambda i, j: ACTIVATION_FORWARD[act](refs.cell(z, i, j))
    raise KeyError(kind)


# --- losses: per-sample terms, and the output layer's first gradient ------------------------
def loss_formulas(refs: Refs, layer: int, step: int) -> Formula:
    s = refs.layout.structure
    z, a = refs.block("z", layer, step), refs.block("a", layer, step)
    y, y_row = _target(refs, step)
    if s.loss == "mse":
        return lambda i, j: f"=({refs.cell(a, i, j)}-{y(i, j)})^2"
    if s.loss == "bce":
        def bce(i: int, j: int) -> str:
            zc = refs.cell(z, i, j)
            return f"=MAX({zc},0)-{zc}*{y(i, j)}+LN(1+EXP(-ABS({zc})))"
        return bce
    zmax, total = refs.block("max", layer, step), refs.block("sum", layer, step)
    return lambda i, j: (
        f"=({refs.cell(zmax, i)}+LN({refs.cell(total, i)}))*SUM({y_row(i)})"
        f"-SUMPRODUCT({y_row(i)},{refs.row(z, i)})"
    )


def correct_formulas(refs: Refs, layer: int, step: int) -> Formula:
    """1 when the sample is classified right: output > 0.5 matches target > 0.5, or the target's
    class has the largest output (softmax)."""
    s = refs.layout.structure
    a = refs.block("a", layer, step)
    y, y_row = _target(refs, step)
    if s.sizes[-1] == 1:
        return lambda i, j: f"=IF(({refs.cell(a, i)}>0.5)=({y(i, 0)}>0.5),1,0)"
    return lambda i, j: f"=IF(SUMPRODUCT({refs.row(a, i)},{y_row(i)})=MAX({refs.row(a, i)}),1,0)"


def output_grad_formulas(refs: Refs, kind: str, layer: int, step: int) -> Formula:
    """dL/da (mse with a non-linear output) and dL/dz of the output layer."""
    s = refs.layout.structure
    a = refs.block("a", layer, step)
    y, _ = _target(refs, step)
    n = _loss_divisor(refs.layout, step)
    act = s.activation(layer)
    if kind == "dA" or (kind == "dz" and s.loss == "mse" and act == "linear"):
        return lambda i, j: f"=2*({refs.cell(a, i, j)}-{y(i, j)})/{n}"
    if s.loss in ("bce", "cross_entropy"):
        return lambda i, j: f"=({refs.cell(a, i, j)}-{y(i, j)})/{n}"
    da = refs.block("dA", layer, step)
    if act == "softmax":
        return lambda i, j: (
            f"={refs.cell(a, i, j)}*({refs.cell(da, i, j)}-SUMPRODUCT({refs.row(da, i)},{refs.row(a, i)}))"
        )
    z = refs.block("z", layer, step)
    return lambda i, j: ACTIVATION_BACKWARD[act](refs.cell(z, i, j), refs.cell(a, i, j), refs.cell(da, i, j))


def hidden_grad_formulas(refs: Refs, kind: str, layer: int, step: int) -> Formula:
    """dL/da = sum over the next layer's neurons of dL/dz * weight; dL/dz = dL/da * f'(z)."""
    s = refs.layout.structure
    if kind == "dA":
        next_dz, next_w = refs.block("dz", layer + 1, step), refs.block("W", layer + 1, step)
        width = s.width(layer + 1)
        return lambda i, j: "=" + "+".join(
            f"{refs.cell(next_dz, i, m)}*{refs.cell(next_w, m, j)}" for m in range(width)
        )
    z, a, da = refs.block("z", layer, step), refs.block("a", layer, step), refs.block("dA", layer, step)
    act = ACTIVATION_BACKWARD[s.activation(layer)]
    if s.dropout:
        mask = refs.block("mask", layer, step)
        return lambda i, j: act(refs.cell(z, i, j), refs.cell(a, i, j),
                                f"{refs.cell(da, i, j)}*{refs.cell(mask, i, j)}/(1-dropout_rate)")
    return lambda i, j: act(refs.cell(z, i, j), refs.cell(a, i, j), refs.cell(da, i, j))


def param_grad_formulas(refs: Refs, kind: str, layer: int, step: int) -> Formula:
    """dL/dW[j,i] = sum over samples of dz[:,j]*a_prev[:,i] (+ 2*l2*W); dL/db[j] = sum of dz[:,j]."""
    s = refs.layout.structure
    dz = refs.block("dz", layer, step)
    if kind == "db":
        return lambda j, _: f"=SUM({refs.col(dz, j)})"
    prev, weights = _Rows(refs, layer, step), refs.block("W", layer, step)
    penalty = (lambda j, i: f"+2*l2_penalty*{refs.cell(weights, j, i)}") if s.use_l2 else (lambda j, i: "")
    return lambda j, i: f"=SUMPRODUCT({refs.col(dz, j)},{prev.col(i)}){penalty(j, i)}"


# --- optimizers: state cells and the update ------------------------------------------------
def optimizer_formulas(refs: Refs, kind: str, layer: int, step: int) -> Formula:
    """Parameters at `step` (>= 1) and the optimizer state that produced them."""
    s = refs.layout.structure
    param = kind[-1]  # "W" or "b"
    grad = refs.block("d" + param, layer, step - 1)
    old = refs.block(param, layer, step - 1)
    if kind in ("vel_W", "vel_b"):
        if step == 1:
            return lambda i, j: f"={refs.cell(grad, i, j)}"
        prev = refs.block(kind, layer, step - 1)
        return lambda i, j: f"=momentum*{refs.cell(prev, i, j)}+{refs.cell(grad, i, j)}"
    if kind[:2] in ("m_", "v_"):
        beta = "beta1" if kind[0] == "m" else "beta2"
        power = "" if kind[0] == "m" else "^2"
        if step == 1:
            return lambda i, j: f"=(1-{beta})*{refs.cell(grad, i, j)}{power}"
        prev = refs.block(kind, layer, step - 1)
        return lambda i, j: (
            f"={beta}*{refs.cell(prev, i, j)}+(1-{beta})*{refs.cell(grad, i, j)}{power}"
        )
    if s.optimizer == "sgd":
        return lambda i, j: f"={refs.cell(old, i, j)}-learning_rate*{refs.cell(grad, i, j)}"
    if s.optimizer == "momentum":
        vel = refs.block(f"vel_{param}", layer, step)
        return lambda i, j: f"={refs.cell(old, i, j)}-learning_rate*{refs.cell(vel, i, j)}"
    m, v = refs.block(f"m_{param}", layer, step), refs.block(f"v_{param}", layer, step)
    bc1, bc2 = refs.block("bc1", 0, step), refs.block("bc2", 0, step)
    return lambda i, j: (
        f"={refs.cell(old, i, j)}-learning_rate*({refs.cell(m, i, j)}/{refs.cell(bc1)})"
        f"/(SQRT({refs.cell(v, i, j)}/{refs.cell(bc2)})+epsilon)"
    )


def training_formulas(refs: Refs, kind: str, step: int) -> Formula:
    """The loss row of the Training sheet, and Adam's bias corrections."""
    s = refs.layout.structure
    if kind in ("bc1", "bc2"):
        beta = "beta1" if kind == "bc1" else "beta2"
        step_cell = f"A{refs.block(kind, 0, step).row}"
        return lambda i, j: f"=1-{beta}^{step_cell}"
    if kind == "accuracy":
        correct = refs.block("correct", s.n_layers, step)
        return lambda i, j: f"=SUM({refs.whole(correct)})/{s.batch_size_at(step)}"
    if kind == "gnorm":
        return lambda i, j: f"=SQRT(SUMSQ({refs.whole(refs.block('dW', j + 1, step))}))"
    terms = refs.block("loss_terms", s.n_layers, step)
    text = f"=SUM({refs.whole(terms)})/{_loss_divisor(refs.layout, step)}"
    if s.use_l2:
        squares = "+".join(f"SUMSQ({refs.whole(refs.block('W', layer, step))})" for layer in range(1, s.n_layers + 1))
        text += f"+l2_penalty*({squares})"
    return lambda i, j: text


def formula_for(layout: Layout, key: tuple[str, int, int]) -> Formula:
    """The formula writer for one derived block."""
    kind, layer, step = key
    if layer == 0:
        return training_formulas(Refs(layout, TRAINING_SHEET), kind, step)
    refs = Refs(layout, layout.block(kind, layer, step).sheet)
    last = layout.structure.n_layers
    if kind in ("x", "z", "max", "exp", "sum", "a", "ad"):
        return forward_formulas(refs, kind, layer, step)
    if kind == "loss_terms":
        return loss_formulas(refs, layer, step)
    if kind == "correct":
        return correct_formulas(refs, layer, step)
    if kind in ("dA", "dz"):
        if layer == last:
            return output_grad_formulas(refs, kind, layer, step)
        return hidden_grad_formulas(refs, kind, layer, step)
    if kind in ("dW", "db"):
        return param_grad_formulas(refs, kind, layer, step)
    return optimizer_formulas(refs, kind, layer, step)
