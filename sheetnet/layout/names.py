"""What each kind of quantity is called: in the check's report, and in the sheets' headers."""

from __future__ import annotations

from sheetnet.model.options import state_of

QUANTITY_NAMES = {
    "W": "weights W", "b": "biases b", "vel_W": "velocity of W", "vel_b": "velocity of b",
    "m_W": "first moment of W", "m_b": "first moment of b", "v_W": "second moment of W",
    "v_b": "second moment of b", "x": "inputs of this step's batch", "mask": "dropout mask",
    "ad": "activation after dropout", "z": "pre-activation z", "max": "row max of z", "exp": "exp(z - max)",
    "sum": "sum of exp", "a": "activation a", "y": "target y", "loss_terms": "loss per sample",
    "dA": "gradient dL/da", "dz": "gradient dL/dz", "dW": "gradient dL/dW", "db": "gradient dL/db",
    "loss": "loss", "correct": "classified correctly (1/0)", "accuracy": "accuracy",
    "gnorm": "gradient norm ||dL/dW||", "gplot": "gradient norm for the chart (at least 1e-12)",
    "bc1": "Adam bias correction 1-beta_1^t", "bc2": "Adam bias correction 1-beta_2^t",
    "s_W": "sum of squared gradients of W", "s_b": "sum of squared gradients of b",
    "lr": "learning rate of the update",
    "gamma": "batch-norm scale gamma", "beta": "batch-norm shift beta", "dgamma": "gradient dL/dgamma",
    "dbeta": "gradient dL/dbeta", "mu": "batch mean of z", "var": "batch variance of z", "rmean": "running mean",
    "rvar": "running variance", "zc": "z minus its mean", "zhat": "normalised z", "zbn": "gamma * zhat + beta",
    "dzbn": "gradient dL/d(gamma*zhat+beta)", "tnorm": "total gradient norm", "clip": "clipping factor",
    "bd_range": "grid range", "bd_x1": "grid x1 axis", "bd_x2": "grid x2 axis", "bd_px": "grid point",
    "bd_z": "grid pass z", "bd_a": "grid pass activation", "bd_max": "grid pass max", "bd_exp": "grid pass exp",
    "bd_sum": "grid pass sum", "bd_grid": "decision boundary cell", "bd_class": "data point of a class",
    "bd_xtick": "x1 axis label", "bd_ytick": "x2 axis label", "nr_grid": "neuron picture cell",
    "K": "kernels K", "kb": "kernel biases", "dK": "gradient dL/dK", "dkb": "gradient dL/d(kernel bias)",
    "kt": "kernel tile", "cx": "image", "cz": "map z", "cp": "pooled map (max of z)", "cdz": "map gradient dL/dz",
    "dx": "gradient dL/dx of the pooled inputs", "fl_img": "Filters: the drawing / 16",
    "fl_kernel": "Filters: kernel picture", "fl_z": "Filters: map of the drawing", "fl_p": "Filters: pooled map",
}
CONV_TILES = ("cx", "cz", "cp", "cdz", "te_cx", "te_cz", "te_cp")
GRADCHECK_RESULTS = ["loss with +epsilon", "loss with -epsilon", "finite difference", "analytic gradient",
                     "relative difference"]


def describe(layout, key: tuple[str, int, int], i: int, j: int) -> str:
    """One element in words, for reports: 'gradient dL/dz, layer 1, step 3, sample 2, column 1'."""
    kind, layer, step = key
    what = QUANTITY_NAMES.get(kind, kind)
    if kind.startswith("gc_"):
        if kind == "gc_result":
            return f"gradient check: {GRADCHECK_RESULTS[i]}"
        if kind == "gc_status":
            return "gradient check: is the choice a parameter of the network"
        sign = "+" if step == 0 else "-"
        return f"gradient check: {kind[3:]} ({sign}epsilon), layer {layer}, row {i + 1}, column {j + 1}"
    if kind.startswith("dr_"):
        return f"Draw sheet: {kind[3:]}" + (f", layer {layer}" if layer else "") + f", row {i + 1}, column {j + 1}"
    if kind.startswith("gl_"):
        return f"Test digits: picture {layer + 1}, {kind[3:]}" + (f", row {i + 1}, column {j + 1}"
                                                               if kind == "gl_img" else "")
    if kind == "wp_img":
        variant = "initial" if step == 0 else "final"
        return f"Weights: neuron {layer + 1}'s {variant} weights, row {i + 1}, column {j + 1}"
    if kind.startswith("fl_"):
        return f"{what}, filter {layer + 1}" + (" (final)" if kind == "fl_kernel" and step else "") + \
            f", row {i + 1}, column {j + 1}"
    if kind == "kt":
        k = layout.structure.conv_kernel
        return f"Conv: kernel tile, step {step}, filter {j // (k + 1) + 1}, row {i + 1}, column {j % (k + 1) + 1}"
    if kind in CONV_TILES:
        block = layout.block(kind, layer, step)
        sample, row = divmod(i, block.pitch_rows)
        tile, col = divmod(j, block.pitch_cols)
        where = "test sample" if kind.startswith("te_") else "sample"
        return f"Conv: {QUANTITY_NAMES.get(kind[3:] if kind.startswith('te_') else kind, kind)}, step {step}, " \
               f"{where} {sample + 1} of the block" + (f", filter {tile + 1}" if kind[-2:] != "cx" else "") + \
               f", row {row + 1}, column {col + 1}"
    if layer == 0 and (kind in ("K", "kb", "dK", "dkb") or state_of(kind)):  # layer 0's states are the kernels'
        return f"Conv: {QUANTITY_NAMES.get(kind, kind)}, step {step}, filter {i + 1}, weight {j + 1}"
    if kind == "nr_grid":
        return f"neuron picture, layer {layer}, neuron {step + 1}, row {i + 1}, column {j + 1}"
    if kind.startswith("bd_"):
        variant = "initial" if step == 0 else "final"
        return f"{what} ({variant} parameters), row {i + 1}, column {j + 1}"
    if layer == 0:
        return f"{what}, step {step}" + (f", layer {j + 1}" if kind in ("gnorm", "gplot") else "")
    group = layout.layers.groups[layer][kind]
    if group.band == "parameters":
        where = f"neuron {i + 1}" + (f", input {j + 1}" if kind.endswith("W") else "")
    else:
        where = f"sample {i + 1} of the step's batch, column {j + 1}"
    return f"{what}, layer {layer}, step {step}, {where}"
