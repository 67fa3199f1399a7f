"""The one forward-pass writer: z, the activation's helpers, a, dropout, the loss terms, right or wrong.

Every sheet that runs the network calls it: the Layer sheets at each step, the decision boundary,
the gradient check (and any later picture of the network). A pass is told where its inputs come
from, which parameters it uses, whether it trains (dropout masks) or evaluates, and where each of
its quantities lives: `layout.block(prefix + kind, layer, index)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sheetnet.layout import Block, Layout
from sheetnet.sheets.refs import CellView, Formula, Refs, Samples
from sheetnet.units import batch_norm
from sheetnet.units.activations import ACTIVATIONS, ROW_HELPERS
from sheetnet.units.losses import LOSSES, correct, total
from sheetnet.units.regularisers import dropped, l1_loss, l2_loss

NORM_KINDS = ("mu", "var", "zc", "zhat", "zbn")


@dataclass
class ForwardPass:
    layout: Layout
    refs: Refs
    prefix: str  # "" for the Layer sheets, "bd_" for the boundary grid, "gc_" for the gradient check
    index: int  # the step (Layer sheets) or the variant (initial/final, +/- epsilon)
    inputs: Callable[[int], str]  # row i of the first layer's inputs
    params: Callable[[int], tuple[Block, Block]]  # layer -> (W, b) blocks this pass multiplies by
    absolute_params: bool = False  # refer to W and b with $ (they do not move with the pass's rows)
    masks: Callable[[int], Block] | None = None  # training with dropout: layer -> its mask block
    samples: Samples | None = None  # where the targets are (None: no loss)
    # batch normalization: layer -> (gamma, beta) blocks, and layer -> the (mean, variance) blocks z is normalised
    # with: the pass's own "mu" and "var" in training mode, the running statistics in evaluation mode
    norm: Callable[[int], tuple[Block, Block]] | None = None
    stats: Callable[[int], tuple[Block, Block]] | None = None

    @property
    def structure(self):
        return self.layout.structure

    def block(self, kind: str, layer: int) -> Block:
        return self.layout.block(self.prefix + kind, layer, self.index)

    def output_kind(self, layer: int) -> str:
        """What the next layer reads: the activation, or the activation after dropout."""
        return "ad" if self.masks is not None and layer < self.structure.n_layers else "a"

    def layer_input(self, layer: int, i: int) -> str:
        if layer == 1:
            return self.inputs(i)
        return self.refs.row(self.block(self.output_kind(layer - 1), layer - 1), i)

    def _resolve(self, layer: int) -> Callable[[str, int, int], str]:
        """Text of each name a unit may use, for element (i, j) of this layer's blocks."""
        refs = self.refs

        normalised = self.structure.normalised(layer)

        def resolve(name: str, i: int, j: int) -> str:
            if name == "z" and normalised:  # the activation reads gamma * zhat + beta
                name = "zbn"
            if name == "y":
                return self.samples.target(i, j)
            if name == "y_row":
                return self.samples.target_row(i)
            if name.endswith("_row"):
                return refs.row(self.block(name[:-4], layer), i)
            if name in ("max", "sum"):
                return refs.cell(self.block(name, layer), i)
            return refs.cell(self.block(name, layer), i, j)

        return resolve

    def formula(self, kind: str, layer: int) -> Formula:
        """The formula of every cell of one of this pass's blocks."""
        refs, s = self.refs, self.structure
        resolve = self._resolve(layer)
        if kind == "z":
            weights, bias = self.params(layer)
            if self.absolute_params:
                return lambda i, j: (f"=SUMPRODUCT({self.layer_input(layer, i)},{refs.fixed_row(weights, j)})"
                                     f"+{refs.fixed(bias, j)}")
            return lambda i, j: (f"=SUMPRODUCT({self.layer_input(layer, i)},{refs.row(weights, j)})"
                                 f"+{refs.cell(bias, j)}")
        if kind in NORM_KINDS:
            return self._normalisation(kind, layer)
        if kind == "ad":
            a, mask = self.block("a", layer), self.masks(layer)
            return lambda i, j: "=" + dropped(refs.cell(a, i, j), refs.cell(mask, i, j))
        activation = s.activation(layer)
        if kind in ROW_HELPERS.get(activation, {}):
            helper = ROW_HELPERS[activation][kind]
            return lambda i, j: "=" + helper(CellView(resolve, i, j))
        if kind == "a":
            unit = ACTIVATIONS[activation].forward
            return lambda i, j: "=" + unit(CellView(resolve, i, j))
        if kind == "loss_terms":
            terms = LOSSES[s.loss].terms
            return lambda i, j: "=" + terms(CellView(resolve, i, j))
        if kind == "y":
            return lambda i, j: f"={self.samples.target(i, j)}"
        if kind == "correct":
            outputs = s.sizes[-1]
            return lambda i, j: "=" + correct(CellView(resolve, i, j), outputs)
        raise KeyError(kind)

    def _per_neuron(self, block: Block, j: int) -> str:
        """Neuron j's cell of a one-column block of per-neuron numbers (statistics, gamma, beta)."""
        return self.refs.fixed(block, j) if self.absolute_params else self.refs.cell(block, j)

    def _normalisation(self, kind: str, layer: int) -> Formula:
        """Batch normalization, one column per neuron: the batch's mean and (biased) variance of z, z - mean,
        zhat = (z - mean) / sqrt(var + bn_epsilon), and gamma * zhat + beta (what the activation reads)."""
        refs = self.refs
        count = len(self.samples.samples) if self.samples is not None else 0
        if kind == "mu":
            z = self.block("z", layer)
            return lambda j, _: "=" + batch_norm.mean(refs.col(z, j), count)
        if kind == "var":
            centred = self.block("zc", layer)
            return lambda j, _: "=" + batch_norm.variance(refs.col(centred, j), count)
        mean, var = self.stats(layer)
        if kind == "zc":
            z = self.block("z", layer)
            return lambda i, j: f"={refs.cell(z, i, j)}-{self._per_neuron(mean, j)}"
        if kind == "zhat":
            centred = self.block("zc", layer)
            return lambda i, j: "=" + batch_norm.normalised(refs.cell(centred, i, j), self._per_neuron(var, j))
        gamma, beta = self.norm(layer)
        zhat = self.block("zhat", layer)
        return lambda i, j: f"={self._per_neuron(gamma, j)}*{refs.cell(zhat, i, j)}+{self._per_neuron(beta, j)}"

    def divisor(self) -> int:
        """The mean's denominator over this pass's samples."""
        s = self.structure
        return LOSSES[s.loss].divisor(len(self.samples.samples), s.sizes[-1])

    def loss(self, weights: list[Block] | None = None) -> str:
        """The pass's loss (no leading "="): the mean of its terms, plus the penalties on `weights`."""
        s = self.structure
        text = total(self.refs.whole(self.block("loss_terms", s.n_layers)), self.divisor())
        if weights is not None and s.use_l2:
            text += l2_loss([self.refs.whole(w) for w in weights])
        if weights is not None and s.use_l1:
            text += l1_loss([self.refs.whole(w) for w in weights])
        return text


def layer_pass(layout: Layout, sheet: str, step: int) -> ForwardPass:
    """The Layer sheets' forward pass at one training step: its batch, its parameters, its masks."""
    s = layout.structure
    refs = Refs(layout, sheet)
    samples = Samples(refs, s.samples_at(step))
    if s.copies_batches or s.conv:
        x = layout.block("x", 1, step)
        inputs = lambda i: refs.row(x, i)  # noqa: E731
    else:
        inputs = samples.row

    def params(layer: int) -> tuple[Block, Block]:
        return layout.block("W", layer, step), layout.block("b", layer, step if s.train_biases else 0)

    masks = (lambda layer: layout.block("mask", layer, step)) if s.dropout else None
    return ForwardPass(layout, refs, "", step, inputs, params, masks=masks, samples=samples, norm=_norm(layout, step),
                       stats=lambda layer: (layout.block("mu", layer, step), layout.block("var", layer, step)))


def _norm(layout: Layout, step: int) -> Callable[[int], tuple[Block, Block]]:
    return lambda layer: (layout.block("gamma", layer, step), layout.block("beta", layer, step))


def running_stats(layout: Layout, step: int) -> Callable[[int], tuple[Block, Block]]:
    """Evaluation mode's statistics: the running mean and variance the training passes before `step` left."""
    return lambda layer: (layout.block("rmean", layer, step), layout.block("rvar", layer, step))


def test_pass(layout: Layout, sheet: str, step: int) -> ForwardPass:
    """The held-out samples through step `step`'s parameters, in evaluation mode (no dropout)."""
    s = layout.structure
    refs = Refs(layout, sheet)
    samples = Samples(refs, s.test_samples)

    def params(layer: int) -> tuple[Block, Block]:
        return layout.block("W", layer, step), layout.block("b", layer, step if s.train_biases else 0)

    inputs = samples.row
    if s.conv:  # the held-out samples' pooled maps, from the Conv test sheet
        x = layout.block("te_x", 1, step)
        inputs = lambda i: refs.row(x, i)  # noqa: E731
    return ForwardPass(layout, refs, "te_", step, inputs, params, samples=samples, norm=_norm(layout, step),
                       stats=running_stats(layout, step))
