"""Formula text for every derived cell, one small function per kind of quantity.

Each activation, loss and optimizer writes its forward and backward formulas side by side
(the registries below), in the spirit of micrograd. All formulas use relative references except
the named hyper-parameter cells, so a block repeats one shape per step.
"""

from __future__ import annotations

from collections.abc import Callable

from .layout import Block, Layout, quote_sheet

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

    def row(self, block: Block, i: int) -> str:
        return self._prefix(block) + block.row_area(i)

    def col(self, block: Block, j: int) -> str:
        return self._prefix(block) + block.col_area(j)

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


def _loss_divisor(layout: Layout) -> int:
    s = layout.structure
    return s.n_samples if s.loss == "cross_entropy" else s.n_samples * s.sizes[-1]


def _prev_activation(refs: Refs, layer: int, step: int) -> Block:
    if layer == 1:
        return refs.layout.inputs_block()
    return refs.block("a", layer - 1, step)


def _bias_block(refs: Refs, layer: int, step: int) -> Block:
    return refs.block("b", layer, step if refs.layout.structure.train_biases else 0)


def forward_formulas(refs: Refs, kind: str, layer: int, step: int) -> Formula:
    """z, softmax helpers and a for one layer at one step."""
    s = refs.layout.structure
    z = refs.block("z", layer, step)
    if kind == "z":
        prev, weights = _prev_activation(refs, layer, step), refs.block("W", layer, step)
        bias = _bias_block(refs, layer, step)
        return lambda i, j: (
            f"=SUMPRODUCT({refs.row(prev, i)},{refs.row(weights, j)})+{refs.cell(bias, j)}"
        )
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
    z, a, y = refs.block("z", layer, step), refs.block("a", layer, step), refs.layout.targets_block()
    if s.loss == "mse":
        return lambda i, j: f"=({refs.cell(a, i, j)}-{refs.cell(y, i, j)})^2"
    if s.loss == "bce":
        def bce(i: int, j: int) -> str:
            zc, yc = refs.cell(z, i, j), refs.cell(y, i, j)
            return f"=MAX({zc},0)-{zc}*{yc}+LN(1+EXP(-ABS({zc})))"
        return bce
    zmax, total = refs.block("max", layer, step), refs.block("sum", layer, step)
    return lambda i, j: (
        f"=({refs.cell(zmax, i)}+LN({refs.cell(total, i)}))*SUM({refs.row(y, i)})"
        f"-SUMPRODUCT({refs.row(y, i)},{refs.row(z, i)})"
    )


def output_grad_formulas(refs: Refs, kind: str, layer: int, step: int) -> Formula:
    """dL/da (mse with a non-linear output) and dL/dz of the output layer."""
    s = refs.layout.structure
    a, y = refs.block("a", layer, step), refs.layout.targets_block()
    n = _loss_divisor(refs.layout)
    act = s.activation(layer)
    if kind == "dA" or (kind == "dz" and s.loss == "mse" and act == "linear"):
        return lambda i, j: f"=2*({refs.cell(a, i, j)}-{refs.cell(y, i, j)})/{n}"
    if s.loss in ("bce", "cross_entropy"):
        return lambda i, j: f"=({refs.cell(a, i, j)}-{refs.cell(y, i, j)})/{n}"
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
    return lambda i, j: act(refs.cell(z, i, j), refs.cell(a, i, j), refs.cell(da, i, j))


def param_grad_formulas(refs: Refs, kind: str, layer: int, step: int) -> Formula:
    """dL/dW[j,i] = sum over samples of dz[:,j]*a_prev[:,i] (+ 2*l2*W); dL/db[j] = sum of dz[:,j]."""
    s = refs.layout.structure
    dz = refs.block("dz", layer, step)
    if kind == "db":
        return lambda j, _: f"=SUM({refs.col(dz, j)})"
    prev, weights = _prev_activation(refs, layer, step), refs.block("W", layer, step)
    penalty = (lambda j, i: f"+2*l2_penalty*{refs.cell(weights, j, i)}") if s.use_l2 else (lambda j, i: "")
    return lambda j, i: f"=SUMPRODUCT({refs.col(dz, j)},{refs.col(prev, i)}){penalty(j, i)}"


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
    terms = refs.block("loss_terms", s.n_layers, step)
    text = f"=SUM({refs.whole(terms)})/{_loss_divisor(refs.layout)}"
    if s.use_l2:
        squares = "+".join(f"SUMSQ({refs.whole(refs.block('W', layer, step))})" for layer in range(1, s.n_layers + 1))
        text += f"+l2_penalty*({squares})"
    return lambda i, j: text


def formula_for(layout: Layout, key: tuple[str, int, int]) -> Formula:
    """The formula writer for one derived block."""
    kind, layer, step = key
    if layer == 0:
        return training_formulas(Refs(layout, "Training"), kind, step)
    refs = Refs(layout, layout.block(kind, layer, step).sheet)
    last = layout.structure.n_layers
    if kind in ("z", "max", "exp", "sum", "a"):
        return forward_formulas(refs, kind, layer, step)
    if kind == "loss_terms":
        return loss_formulas(refs, layer, step)
    if kind in ("dA", "dz"):
        if layer == last:
            return output_grad_formulas(refs, kind, layer, step)
        return hidden_grad_formulas(refs, kind, layer, step)
    if kind in ("dW", "db"):
        return param_grad_formulas(refs, kind, layer, step)
    return optimizer_formulas(refs, kind, layer, step)
