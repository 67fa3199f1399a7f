"""The formulas of a convolution: the Conv sheet's tiles and kernels, and where Layer 1 meets them.

Forward: each map cell is one SUMPRODUCT of a k x k window of the image with its kernel's tile, plus the
kernel's bias; each pooled cell the MAX of a p x p window of the map; Layer 1's inputs x are the activation of
the pooled cells, flattened (filter, row, column). Max pooling before the activation gives the same numbers as
after it, since every activation here never decreases: max(f(z)) = f(max(z)); it costs a quarter of the cells.
Backward: Layer 1's dL/dx; a map cell's gradient is the pooled cell's, times the activation's slope, where the
cell is its window's first largest value, else 0; a kernel weight's gradient is one SUMPRODUCT of a filter's
map gradients over the whole batch with the images shifted by the weight's place in the kernel.
"""

from __future__ import annotations

from sheetnet.layout import Layout
from sheetnet.model.problem import Structure
from sheetnet.sheets.refs import CellView, Formula, Refs, Samples
from sheetnet.units.activations import ACTIVATIONS
from sheetnet.units.regularisers import l1_gradient, l2_gradient


def _pooled_cell(s: Structure, m: int) -> tuple[int, int, int]:
    """(filter, row, column) of the dense layers' input m: torch's flattening order."""
    rows, cols = s.pooled_shape
    f, rest = divmod(m, rows * cols)
    return f, rest // cols, rest % cols


def conv_formula(layout: Layout, kind: str, step: int) -> Formula:
    """A Conv sheet block's formula: the kernels' tiles, the images, the maps, the pooled maps, the maps'
    gradients and the kernels' gradients (the updates are every parameter's: `sheets.updates`)."""
    s = layout.structure
    refs = Refs(layout, layout.block(kind, 0, step).sheet)
    h, w = s.image_shape
    k, p = s.conv_kernel, s.pool
    oh, ow = s.map_shape
    ph, pw = s.pooled_shape
    test = kind.startswith("te_")
    prefix = "te_" if test else ""
    kind = kind[len(prefix):]

    def block(name: str, at: int = step):
        return layout.block((prefix if name in ("cx", "cz", "cp") else "") + name, 0, at)

    if kind == "kt":
        kernels = block("K")
        return lambda i, j: f"={refs.cell(kernels, j // (k + 1), i * k + j % (k + 1))}"
    if kind == "cx":
        samples = Samples(refs, s.test_samples if test else s.samples_at(step))
        return lambda i, j: f"={refs.fixed(samples.inputs, samples.samples[i // h], (i % h) * w + j)}"
    if kind == "cz":
        images, tiles, bias = block("cx"), block("kt"), block("kb", step if s.train_biases else 0)

        def z(i: int, j: int) -> str:
            f, c = divmod(j, ow + 1)
            window = refs.area_of(images, i, c, i + k - 1, c + k - 1)
            return f"=SUMPRODUCT({window},{refs.area_of(tiles, 0, f * (k + 1), k - 1, f * (k + 1) + k - 1)})" \
                   f"+{refs.cell(bias, f)}"
        return z
    if kind == "cp":
        maps = block("cz")

        def pooled(i: int, j: int) -> str:
            n, r = divmod(i, h)
            f, c = divmod(j, pw + 1)
            top, left = n * h + r * p, f * (ow + 1) + c * p
            return f"=MAX({refs.area_of(maps, top, left, top + p - 1, left + p - 1)})"
        return pooled
    if kind == "cdz":
        return _map_gradient(layout, refs, step)
    if kind == "dkb":
        grads = block("cdz")
        return lambda f, _: f"=SUM({refs.area_of(grads, 0, f * (ow + 1), grads.nrows - 1, f * (ow + 1) + pw * p - 1)})"
    if kind == "dK":
        return _kernel_gradient(layout, refs, step)
    raise KeyError(kind)


def _map_gradient(layout: Layout, refs: Refs, step: int) -> Formula:
    """dL/dz of a map cell: the gradient of its pooled cell's input x times the activation's slope, if the cell
    is the first largest of its pooling window (torch's rule on ties), else 0."""
    s = layout.structure
    h = s.image_shape[0]
    p = s.pool
    ow = s.map_shape[1]
    ph, pw = s.pooled_shape
    maps, pooled = layout.block("cz", 0, step), layout.block("cp", 0, step)
    x, grad_x = layout.block("x", 1, step), layout.block("dx", 1, step)
    backward = ACTIVATIONS[s.conv_activation].backward

    def formula(i: int, j: int) -> str:
        n, r = divmod(i, h)
        f, c = divmod(j, ow + 1)
        pr, pc = r // p, c // p
        biggest = refs.cell(pooled, n * h + pr, f * (pw + 1) + pc)
        m = f * ph * pw + pr * pw + pc
        names = {"z": biggest, "a": refs.cell(x, n, m), "da": refs.cell(grad_x, n, m)}
        slope = backward(CellView(lambda name, _i, _j: names[name], n, m))
        earlier = [(rr, cc) for rr in range(pr * p, r + 1) for cc in range(pc * p, pc * p + p) if (rr, cc) < (r, c)]
        tests = [f"{refs.cell(maps, i, j)}={biggest}"]
        tests += [f"{refs.cell(maps, n * h + rr, f * (ow + 1) + cc)}<>{biggest}" for rr, cc in earlier]
        condition = tests[0] if len(tests) == 1 else f"AND({','.join(tests)})"
        return f"=IF({condition},{slope},0)"

    return formula


def _kernel_gradient(layout: Layout, refs: Refs, step: int) -> Formula:
    """dL/dK[f, (r, c)]: the sum over the batch and the map's positions of the map's gradient times the image
    value that kernel weight met there: one SUMPRODUCT of filter f's gradient tiles with the image tiles shifted
    by (r, c) (the blank rows between tiles count 0); plus the penalties' gradients."""
    s = layout.structure
    k, p = s.conv_kernel, s.pool
    ow = s.map_shape[1]
    width = s.pooled_shape[1] * p
    grads, images, kernels = (layout.block(kind, 0, step) for kind in ("cdz", "cx", "K"))
    rows = grads.nrows

    def formula(f: int, q: int) -> str:
        r, c = divmod(q, k)
        left = f * (ow + 1)
        text = f"=SUMPRODUCT({refs.area_of(grads, 0, left, rows - 1, left + width - 1)}," \
               f"{refs.area_of(images, r, c, r + rows - 1, c + width - 1)})"
        weight = refs.cell(kernels, f, q)
        return text + (l2_gradient(weight) if s.use_l2 else "") + (l1_gradient(weight) if s.use_l1 else "")

    return formula


def pooled_input(layout: Layout, sheet: str, step: int, test: bool = False) -> Formula:
    """Layer 1's input x[n, m]: the convolution's activation of pooled cell m of sample n (of the batch, or of the
    test set)."""
    s = layout.structure
    refs = Refs(layout, sheet)
    pooled = layout.block("te_cp" if test else "cp", 0, step)
    forward = ACTIVATIONS[s.conv_activation].forward
    h, pw = s.image_shape[0], s.pooled_shape[1]

    def formula(n: int, m: int) -> str:
        f, r, c = _pooled_cell(s, m)
        cell = refs.cell(pooled, n * h + r, f * (pw + 1) + c)
        return "=" + forward(CellView(lambda name, _i, _j: cell, n, m))

    return formula


def input_gradient(layout: Layout, sheet: str, step: int) -> Formula:
    """Layer 1's dL/dx[n, m] = sum over its neurons of dL/dz * the weight from input m (as a hidden layer's dL/da)."""
    refs = Refs(layout, sheet)
    dz, weights = layout.block("dz", 1, step), layout.block("W", 1, step)
    width = layout.structure.width(1)
    return lambda n, m: "=" + "+".join(f"{refs.cell(dz, n, q)}*{refs.cell(weights, q, m)}" for q in range(width))
