"""The curated mutants of scripts/mutants.py: (module, snippet, replacement, the bug it plants, group).

Each is a mistake a person could make while writing or changing that code; none is equivalent to
the original (each changes a number some workbook shows, or the verdict of some check).
"""

A = "sheetnet/units/activations.py"
L = "sheetnet/units/losses.py"
OP = "sheetnet/model/optimizers.py"
R = "sheetnet/units/regularisers.py"
F = "sheetnet/sheets/forward.py"
B = "sheetnet/sheets/backward.py"
U = "sheetnet/sheets/updates.py"
X = "sheetnet/sheets/formulas.py"
BD = "sheetnet/sheets/boundary.py"
GC = "sheetnet/sheets/gradcheck.py"
RM = "sheetnet/reference/maths.py"
RN = "sheetnet/reference/network.py"
RO = "sheetnet/reference/optimizers.py"
OPN = "sheetnet/model/optimizers.py"  # the numpy side of the optimizer records
RT = "sheetnet/reference/training.py"
RP = "sheetnet/reference/pictures.py"
FF = "sheetnet/evaluate/fast/functions.py"
FL = "sheetnet/evaluate/fast/levels.py"
FR = "sheetnet/evaluate/fast/references.py"
FP = "sheetnet/evaluate/fast/parser.py"
CT = "sheetnet/verify/tolerance.py"
CC = "sheetnet/verify/compare.py"
CS = "sheetnet/verify/scales.py"
RB = "sheetnet/reference/training.py"
SC = "sheetnet/model/schedules.py"
SCN = "sheetnet/model/schedules.py"  # the numpy side of the schedule records
CL = "sheetnet/units/clipping.py"
BN = "sheetnet/units/batch_norm.py"
RNM = "sheetnet/reference/normalisation.py"
DG = "sheetnet/sheets/digits.py"
RD = "sheetnet/reference/digits.py"
RC = "sheetnet/api/continuation.py"
FS = "sheetnet/evaluate/formula_scan.py"
DR = "sheetnet/evaluate/fast/digitruns.py"
SCR = "sheetnet/evaluate/screen.py"
XT = "sheetnet/evaluate/xmltext.py"
RW = "sheetnet/sheets/rowtemplate.py"

CV = "sheetnet/sheets/convformulas.py"
RCB = "sheetnet/reference/convblock.py"

CONV = [
    (CV, 'f"+{refs.cell(bias, f)}"', '""', "a map without its kernel's bias"),
    (CV, 'return lambda i, j: f"={refs.cell(kernels, j // (k + 1), i * k + j % (k + 1))}"',
     'return lambda i, j: f"={refs.cell(kernels, j // (k + 1), (j % (k + 1)) * k + i)}"', "kernel tiles transposed"),
    (CV, 'return f"=MAX({refs.area_of(maps, top, left, top + p - 1, left + p - 1)})"',
     'return f"=MIN({refs.area_of(maps, top, left, top + p - 1, left + p - 1)})"', "min pooling"),
    (CV, 'condition = tests[0] if len(tests) == 1 else f"AND({\',\'.join(tests)})"', 'condition = tests[0]',
     "every tied cell of a window takes the gradient"),
    (CV, "r, c = divmod(q, k)", "c, r = divmod(q, k)", "kernel gradient shifted by (column, row)"),
    (CV, 'return text + (l2_gradient(weight) if s.use_l2 else "")', 'return text + ("" if s.use_l2 else "")',
     "kernels' gradient without the L2 penalty"),
    (CV, 'return f, rest // cols, rest % cols', 'return f, rest % rows, rest // rows', "flattened column by column"),
    (CV, '"+".join(f"{refs.cell(dz, n, q)}*{refs.cell(weights, q, m)}" for q in range(width))',
     '"+".join(f"{refs.cell(dz, n, q)}" for q in range(width))', "dL/dx without the weights"),
    (RCB, "grad_z = conv.unpool(grad_pooled, values[\"winner\"], z.shape, s.pool) * derivative(s.conv_activation, z, a, slope)",
     "grad_z = conv.unpool(grad_pooled, values[\"winner\"], z.shape, s.pool)", "reference: no activation slope"),
    (RCB, '"cp": conv.max_pool(z, s.pool)[0]', '"cp": pooled', "reference: pooled cells after the activation"),
    (RCB, "grad_k = grad_k + 2.0 * hyper[\"l2_penalty\"] * kernels", "grad_k = grad_k", "reference: no L2 on kernels"),
]

WRITER = [
    (A, 'forward=lambda c: f"IF({c.z}>0,{c.z},0)"', 'forward=lambda c: f"IF({c.z}>0,{c.z},{c.z})"', "ReLU lets negatives through"),
    (A, 'backward=lambda c: f"IF({c.z}>0,{c.da},0)"', 'backward=lambda c: f"IF({c.z}<0,{c.da},0)"', "ReLU's slope on the wrong side"),
    (A, 'forward=lambda c: f"IF({c.z}>0,{c.z},leaky_slope*{c.z})"', 'forward=lambda c: f"IF({c.z}>0,{c.z},0)"', "leaky ReLU without its slope"),
    (A, 'backward=lambda c: f"IF({c.z}>0,{c.da},leaky_slope*{c.da})"', 'backward=lambda c: f"IF({c.z}>0,{c.da},{c.da})"', "leaky ReLU's backward ignores the slope"),
    (A, 'backward=lambda c: f"{c.da}*{c.a}*(1-{c.a})"', 'backward=lambda c: f"{c.da}*{c.a}"', "sigmoid slope a instead of a(1-a)"),
    (A, 'backward=lambda c: f"{c.da}*(1-{c.a}^2)"', 'backward=lambda c: f"{c.da}*(1-{c.a})"', "tanh slope 1-a instead of 1-a^2"),
    (A, 'return f"EXP(MIN({z},0))/(1+EXP(-ABS({z})))"', 'return f"EXP(MIN({z},0))/(1+EXP(ABS({z})))"', "stable sigmoid with the wrong sign"),
    (A, 'forward=lambda c: f"IF({c.z}>0,{c.z},EXP(MIN({c.z},0))-1)"', 'forward=lambda c: f"IF({c.z}>0,{c.z},EXP(MIN({c.z},0)))"', "ELU without the -1"),
    (A, 'backward=lambda c: f"IF({c.z}>0,{c.da},{c.da}*EXP(MIN({c.z},0)))"', 'backward=lambda c: f"IF({c.z}>0,{c.da},{c.da})"', "ELU's slope taken as 1"),
    (A, 'forward=lambda c: f"IF({c.z}>20,{c.z},LN(1+EXP(MIN({c.z},20))))"', 'forward=lambda c: f"IF({c.z}>2,{c.z},LN(1+EXP(MIN({c.z},20))))"', "softplus threshold 2 instead of 20"),
    (A, 'backward=lambda c: f"IF({c.z}>20,{c.da},{c.da}*{stable_sigmoid(c.z)})"', 'backward=lambda c: f"IF({c.z}>20,{c.da},{c.da})"', "softplus slope taken as 1"),
    (A, 'f"{c.a}*({c.da}-SUMPRODUCT({c.da_row},{c.a_row}))"', 'f"{c.a}*({c.da}-SUM({c.da_row}))"', "softmax Jacobian without the a weights"),
    (A, '"exp": lambda c: f"EXP({c.z}-{c.max})"', '"exp": lambda c: f"EXP({c.z})"', "softmax exp without subtracting the max"),
    (A, 'forward=lambda c: f"{c.exp}/{c.sum}"', 'forward=lambda c: f"{c.exp}"', "softmax not normalised"),
    (L, 'terms=lambda c: f"({c.a}-{c.y})^2"', 'terms=lambda c: f"ABS({c.a}-{c.y})"', "absolute instead of squared error"),
    (L, 'terms=lambda c: f"MAX({c.z},0)-{c.z}*{c.y}+LN(1+EXP(-ABS({c.z})))"', 'terms=lambda c: f"MAX({c.z},0)+{c.z}*{c.y}+LN(1+EXP(-ABS({c.z})))"', "BCE with +z*y"),
    (L, 'f"({c.max}+LN({c.sum}))*SUM({c.y_row})', 'f"(LN({c.sum}))*SUM({c.y_row})', "cross-entropy forgets the max"),
    (L, 'return f"2*({c.a}-{c.y})/{n}"', 'return f"({c.a}-{c.y})/{n}"', "squared error's gradient without the 2"),
    (L, 'return f"({c.a}-{c.y})/{n}"', 'return f"({c.y}-{c.a})/{n}"', "output delta with the wrong sign"),
    (L, "return batch if self.per_sample else batch * outputs", "return batch", "mean over samples only, for every loss"),
    (L, 'return f"1-ABS(({c.a}>0.5)-({c.y}>0.5))"', 'return f"ABS(({c.a}>0.5)-({c.y}>0.5))"', "right and wrong swapped"),
    (L, 'return f"IF(SUMPRODUCT({c.a_row},{c.y_row})=MAX({c.a_row}),1,0)"', 'return f"IF(SUMPRODUCT({c.a_row},{c.y_row})=MIN({c.a_row}),1,0)"', "softmax right when the target is the least likely"),
    (L, 'return f"SUM({terms})/{n}"', 'return f"SUM({terms})/({n}+1)"', "the mean divides by one too many"),
    (OP, 'update_formula=lambda c: f"{c.old}-{c.lr}*{c.g}"', 'update_formula=lambda c: f"{c.old}+{c.lr}*{c.g}"', "gradient ascent"),
    (OP, 'next_formula=lambda c: f"momentum*{c.prev}+{c.g}"', 'next_formula=lambda c: f"momentum*{c.g}+{c.g}"', "velocity forgets its past"),
    (OP, "first_formula=lambda c: c.g,", 'first_formula=lambda c: f"momentum*{c.g}",', "first velocity scaled by momentum"),
    (OP, "update_formula=lambda c: f\"{c.old}-{c.lr}*{c.state['vel']}\"", 'update_formula=lambda c: f"{c.old}-{c.lr}*{c.g}"', "momentum update ignores the velocity"),
    (OP, 'next_formula=lambda c: f"beta_1*{c.prev}+(1-beta_1)*{c.g}"', 'next_formula=lambda c: f"beta_1*{c.prev}+{c.g}"', "Adam m without (1 - beta1)"),
    (OP, 'first_formula=lambda c: f"(1-beta_2)*{c.g}^2"', 'first_formula=lambda c: f"(1-beta_2)*{c.g}"', "Adam v starts from g, not g^2"),
    (OP, "/(SQRT({c.state['v']}/{c.column['bc2']})+epsilon)", "/SQRT({c.state['v']}/{c.column['bc2']}+epsilon)", "Adam epsilon inside the square root"),
    (OP, 'lambda step: f"1-beta_1^{step}"', 'lambda step: f"1-beta_1^({step}-1)"', "Adam bias correction one step late"),
    (OP, 'next_formula=lambda c: f"alpha*{c.prev}+(1-alpha)*{c.g}^2"', 'next_formula=lambda c: f"alpha*{c.prev}+(1-alpha)*{c.g}"', "RMSProp averages g, not g^2"),
    (OP, "update_formula=lambda c: f\"{c.old}-{c.lr}*{c.g}/(SQRT({c.state['v']})+epsilon)\"", "update_formula=lambda c: f\"{c.old}-{c.lr}*{c.g}/(SQRT({c.state['v']}+epsilon))\"", "RMSProp epsilon inside the root"),
    (OP, 'next_formula=lambda c: f"{c.prev}+{c.g}^2"', 'next_formula=lambda c: f"{c.prev}+{c.g}"', "AdaGrad sums g, not g^2"),
    (OP, 'update_formula=lambda c: f"{c.old}*(1-{c.lr}*weight_decay)-', 'update_formula=lambda c: f"{c.old}*(1-weight_decay)-', "AdamW decay without the learning rate"),
    (OP, 'if c.weight else\n    f"{c.old}-{_adam_formula(c)}"', 'if True else\n    f"{c.old}-{_adam_formula(c)}"', "AdamW decays biases, gamma and beta too"),
    (SC, 'lambda k, steps: f"learning_rate*lr_gamma^INT({k}/step_size)"', 'lambda k, steps: f"learning_rate*lr_gamma^INT(({k}+1)/step_size)"', "step schedule one step early"),
    (SC, 'lambda k, steps: f"learning_rate*(1+COS(PI()*{k}/{steps}))/2"', 'lambda k, steps: f"learning_rate*(1+COS(PI()*{k}/{steps}))"', "cosine schedule twice the rate"),
    (CL, 'return f"MIN(1,clip_norm/({norm_cell}+{CLIP_EPSILON:g}))"', 'return f"clip_norm/({norm_cell}+{CLIP_EPSILON:g})"', "clipping also scales small gradients up"),
    (BN, 'return f"SUMSQ({centred_column})/{count}"', 'return f"SUMSQ({centred_column})/({count}-1)"', "batch variance unbiased in training mode"),
    (BN, 'return f"{gamma}/SQRT({var}+bn_epsilon)/{count}*({count}*{g}-{dbeta}-{zhat}*{dgamma})"', 'return f"{gamma}/SQRT({var}+bn_epsilon)*{g}"', "batch norm backward ignores the batch statistics"),
    (BN, 'return f"(1-bn_momentum)*{previous}+bn_momentum*{batch_var}*{count}/{count - 1}"', 'return f"(1-bn_momentum)*{previous}+bn_momentum*{batch_var}"', "running variance biased"),
    (DG, 'text = f"IF({cells[c]}=MAX({row}),{c},{text})"', 'text = f"IF({cells[c]}=MAX({row}),{c + 1},{text})"', "digits read off by one"),
    (DG, 'return lambda i, j: f"={refs.fixed(grid, j // side, j % side)}/{GREY_LEVELS}"', 'return lambda i, j: f"={refs.fixed(grid, j % side, j // side)}/{GREY_LEVELS}"', "drawing read column by column"),
    (DG, 'return lambda i, j: f"={refs.fixed(weights, layer, i * side + j)}"', 'return lambda i, j: f"={refs.fixed(weights, layer, j * side + i)}"', "weight pictures transposed"),
    (DG, 'refs, weights, side = Refs(layout, WEIGHTS_SHEET), layout.block("W", 1, 0 if index == 0 else s.steps), dl.side', 'refs, weights, side = Refs(layout, WEIGHTS_SHEET), layout.block("W", 1, 0), dl.side', "final weight pictures show the initial weights"),
    (R, 'return f"{value}*{mask}/(1-dropout_rate)"', 'return f"{value}*{mask}"', "dropout without inverted scaling"),
    (R, 'return f"+2*l2_penalty*{weight}"', 'return f"+l2_penalty*{weight}"', "L2 gradient without the 2"),
    (R, "return f\"+l2_penalty*({'+'.join(f'SUMSQ({w})' for w in weights)})\"", "return f\"+2*l2_penalty*({'+'.join(f'SUMSQ({w})' for w in weights)})\"", "L2 penalty doubled in the loss"),
    (R, "return f\"+l1_penalty*SIGN({weight})\"", "return f\"+l1_penalty*{weight}\"", "L1 gradient is the weight, not its sign"),
    (R, "'+'.join(f'SUMPRODUCT(ABS({w}))' for w in weights)", "'+'.join(f'SUMPRODUCT({w})' for w in weights)", "L1 penalty without the absolute values"),
    (F, 'return ForwardPass(layout, refs, "te_", step, inputs, params, samples=samples, norm=_norm(layout, step),', 'return ForwardPass(layout, refs, "te_", step, inputs, params, samples=samples, masks=(lambda layer: layout.block("mask", layer, step)) if s.dropout else None, norm=_norm(layout, step),', "test pass in training mode"),
    (RN, 'total += hyper["l1_penalty"] * sum(float(np.abs(w).sum()) for w in weights)', 'total += hyper["l1_penalty"] * sum(float(w.sum()) for w in weights)', "reference L1 without absolute values"),
    (RT, "trace[(\"test_loss\", 0, step)] = np.array([[data_loss(s, values)]])", "trace[(\"test_loss\", 0, step)] = np.array([[data_loss(s, values) + penalty(s, problem.hyper, weights)]])", "test loss with the penalty"),
    (F, '{self.layer_input(layer, i)},{refs.row(weights, j)})"\n                                 f"+{refs.cell(bias, j)}")',
     '{self.layer_input(layer, i)},{refs.row(weights, j)})")', "z without the bias"),
    (F, '{self.layer_input(layer, i)},{refs.row(weights, j)})"', '{self.layer_input(layer, i)},{refs.row(weights, 0)})"', "every neuron uses the first neuron's weights"),
    (F, 'f"+{refs.fixed(bias, j)}")', 'f"+{refs.fixed(bias, 0)}")', "pictures use the first neuron's bias"),
    (F, 'return "ad" if self.masks is not None and layer < self.structure.n_layers else "a"', 'return "a"', "the next layer reads a before dropout"),
    (F, 'layout.block("b", layer, step if s.train_biases else 0)\n\n    masks = ',
     'layout.block("b", layer, 0)\n\n    masks = ', "forward pass uses the initial biases"),
    (B, 'f"{refs.cell(next_dz, i, m)}*{refs.cell(next_w, m, j)}" for m in range(width)',
     'f"{refs.cell(next_dz, i, m)}*{refs.cell(next_w, m, j)}" for m in range(width - 1)', "backprop skips the last neuron"),
    (B, 'f"{refs.cell(next_dz, i, m)}*{refs.cell(next_w, m, j)}"', 'f"{refs.cell(next_dz, i, m)}*{refs.cell(next_w, j, m)}"', "backprop along transposed weights"),
    (B, 'return lambda j, _: f"=SUM({refs.col(dz, j)})"', 'return lambda j, _: f"=SUM({refs.col(dz, 0)})"', "every bias gets the first neuron's gradient"),
    (B, 'if kind == "dA" or (kind == "dz" and not loss.cancels and activation == "linear"):',
     'if kind == "dA" or (kind == "dz" and not loss.cancels):', "output delta ignores the output's slope"),
    (B, "            if dropout:  # the mask", "            if False:  # the mask", "backward pass ignores dropout"),
    (U, 'old = layout.block(param, layer, step - 1)', 'old = layout.block(param, layer, 0)', "every update starts from the initial parameters"),
    (U, 'if s.schedule != "constant" else "learning_rate"', 'if s.schedule != "constant" else "learning_rate/2"', "half the learning rate"),
    (X, 'return lambda i, j: f"=SUM({refs.whole(correct)})/{s.batch_size_at(step)}"', 'return lambda i, j: f"=SUM({refs.whole(correct)})/{s.n_samples}"', "accuracy over all samples, not the batch"),
    (X, 'return lambda i, j: f"=SQRT(SUMSQ({refs.whole', 'return lambda i, j: f"=(SUMSQ({refs.whole', "gradient size without the square root"),
    (X, "block = forward.block(forward.output_kind(layer - 1), layer - 1)", 'block = forward.block("a", layer - 1)', "dL/dW reads a before dropout"),
    (BD, 'return f"=({refs.fixed(span, i, 1)}-{refs.fixed(span, i, 0)})/{grid - 1}"', 'return f"=({refs.fixed(span, i, 1)}-{refs.fixed(span, i, 0)})/{grid}"', "grid axis stops short"),
    (BD, 'margin = f"IF(MAX({col})=MIN({col}),1,0.1*(MAX({col})-MIN({col})))"', 'margin = f"IF(MAX({col})=MIN({col}),1,0.2*(MAX({col})-MIN({col})))"', "grid margin 20%"),
    (BD, 'return lambda p, j: f"={refs.fixed(x1, p % grid)}"', 'return lambda p, j: f"={refs.fixed(x1, p // grid)}"', "grid points walk the wrong axis"),
    (BD, 'return lambda i, j: f"={refs.fixed(activations, i * grid + j, variant)}"', 'return lambda i, j: f"={refs.fixed(activations, j * grid + i, variant)}"', "neuron pictures transposed"),
    (BD, "step = 0 if variant == 0 else s.steps", "step = 0 if variant == 0 else s.steps - 1", "final picture one step early"),
    (BD, 'return lambda i, j: f"={refs.cell(out, i * grid + j)}"', 'return lambda i, j: f"={refs.cell(out, j * grid + i)}"', "picture transposed"),
    (GC, 'return lambda j, i: f"={refs.cell(w0, j, i)}{sign}gc_epsilon*{refs.cell(sel, j, i)}"', 'return lambda j, i: f"={refs.cell(w0, j, i)}+gc_epsilon*{refs.cell(sel, j, i)}"', "both nudges go up"),
    (GC, 'f"{i + 1 if i < fan_in else 0}),1,0)")', 'f"{i if i < fan_in else 0}),1,0)")', "input numbers off by one"),
    (GC, 'f"=({refs.cell(result, 0)}-{refs.cell(result, 1)})/(2*gc_epsilon)"', 'f"=({refs.cell(result, 0)}-{refs.cell(result, 1)})/gc_epsilon"', "finite difference over epsilon, not 2 epsilon"),
    (GC, "masks = (lambda layer: layout.block(\"mask\", layer, 0)) if s.dropout else None", "masks = None", "gradient check forgets dropout"),
]

REFERENCE = [
    (RM, "return np.where(z > 0, z, slope * z)", "return np.where(z > 0, z, 0.0 * z)", "leaky ReLU without its slope"),
    (RM, "return a * (1.0 - a)", "return a", "sigmoid slope a"),
    (RM, "return 1.0 - a * a", "return 1.0 - a", "tanh slope 1 - a"),
    (RM, "return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))", "return np.where(z > 0, z, np.exp(np.minimum(z, 0.0)))", "ELU without the -1"),
    (RM, "return np.where(z > 20, 1.0, sigmoid(z))", "return sigmoid(z)", "softplus slope ignores the threshold"),
    (RM, "np.log1p(np.exp(-np.abs(z)))", "np.log1p(np.exp(np.abs(z)))", "BCE's log term with the wrong sign"),
    (RM, "return (zmax + log_sum) * y.sum", "return log_sum * y.sum", "cross-entropy forgets the max"),
    (RM, 'return batch if loss == "cross_entropy" else batch * outputs', "return batch * outputs", "cross-entropy averaged over outputs too"),
    (RM, "return (output[:, 0] > 0.5) == (targets[:, 0] > 0.5)", "return (output[:, 0] > 0.5) == (targets[:, 0] >= 0.5)", "a target of 0.5 counted as class 1"),
    (RN, 'prev = a * masks[layer] / (1.0 - hyper["dropout_rate"])', "prev = a * masks[layer]", "dropout without inverted scaling"),
    (RN, "delta = (a - targets) / n  #", "delta = 2 * (a - targets) / n  #", "cancelling delta with a stray 2"),
    (RN, "delta = a * (grad_a - (grad_a * a).sum(axis=1, keepdims=True))", "delta = a * grad_a", "softmax Jacobian's diagonal only"),
    (RN, 'grad_w = grad_w + 2.0 * hyper["l2_penalty"] * weights[layer - 1]', 'grad_w = grad_w + hyper["l2_penalty"] * weights[layer - 1]', "L2 gradient without the 2"),
    (RN, 'grad_a = grad_a * masks[layer - 1] / (1.0 - hyper["dropout_rate"])', "grad_a = grad_a * masks[layer - 1]", "backward dropout without scaling"),
    (RN, 'total += hyper["l2_penalty"] * sum(float((w * w).sum()) for w in weights)', 'total += hyper["l2_penalty"] * sum(float(np.abs(w).sum()) for w in weights)', "L1 instead of L2"),
    (OPN, 'velocity = hyper["momentum"] * state.get("vel", 0.0) + grad',
     'velocity = hyper["momentum"] * state.get("vel", 0.0) + (1 - hyper["momentum"]) * grad', "momentum with dampening"),
    (OPN, 'decayed = param * (1 - lr * hyper["weight_decay"]) if weight else param', 'decayed = param * (1 - lr * hyper["weight_decay"])', "reference AdamW decays biases too"),
    (OPN, "(np.sqrt(v / (1 - b2**t))", "(np.sqrt(v / (1 - b2**(t + 1)))", "second bias correction a step ahead"),
    (OPN, '(np.sqrt(v / (1 - b2**t)) + hyper["epsilon"])', 'np.sqrt(v / (1 - b2**t) + hyper["epsilon"])', "Adam epsilon inside the root"),
    (RT, "samples = list(problem.structure.samples_at(step))", "samples = list(problem.structure.samples_at(0))", "every step trains on the first batch"),
    (RT, 'np.sqrt((grads[("dW", layer)] ** 2).sum())', '(grads[("dW", layer)] ** 2).sum()', "gradient size squared"),
    (RNM, "var = (centred * centred).mean(axis=0)  # biased, two passes", "var = (centred * centred).sum(axis=0) / (len(z) - 1)", "reference batch variance unbiased"),
    (RNM, "dz = gamma / np.sqrt(var + eps) / n * (n * g - dbeta - zhat * dgamma)", "dz = gamma / np.sqrt(var + eps) * g", "reference batch norm backward ignores the statistics"),
    (SCN, 'hyper["lr_gamma"] ** np.floor(k / hyper["step_size"])', 'hyper["lr_gamma"] ** np.ceil(k / hyper["step_size"])', "reference step schedule rounds up"),
    (RO, "return total, min(1.0, max_norm / (total + CLIP_EPSILON))", "return total, max_norm / (total + CLIP_EPSILON)", "reference clipping scales small gradients up"),
    (RD, "x = np.asarray(problem.drawing, dtype=float).reshape(1, -1) / GREY_LEVELS", "x = np.asarray(problem.drawing, dtype=float).T.reshape(1, -1) / GREY_LEVELS", "reference reads the drawing column by column"),
    (RT, "t = s.global_step(step) + 1", "t = step + 1", "a continued workbook's Adam restarts its bias corrections"),
    (RC, "return batches[start:] + batches[:start]", "return batches", "a continued workbook starts again from the first batch"),
    (RP, "margin = np.where(high == low, 1.0, 0.1 * (high - low))", "margin = np.where(high == low, 1.0, 0.05 * (high - low))", "grid margin 5%"),
    (RP, "values[(\"bd_xtick\", t, 0)] = values[(\"bd_xtick\", t, 1)] = np.array([[x1[5 * t]]])", "values[(\"bd_xtick\", t, 0)] = values[(\"bd_xtick\", t, 1)] = np.array([[x1[4 * t]]])", "axis labels every 4 columns"),
    (RP, "column = i + 1 if i < fan_in else 0", "column = i if i < fan_in else 0", "gradient-check input off by one"),
    (RP, "finite = (losses[0] - losses[1]) / (2 * eps)", "finite = (losses[0] - losses[1]) / eps", "finite difference over epsilon"),
]

FAST = [
    (FF, "result = np.where(code != OK, code, result)", "result = np.where(result != OK, result, code)", "the last error wins"),
    (FF, "first = np.argmax(is_error, axis=1)", "first = is_error.shape[1] - 1 - np.argmax(is_error[:, ::-1], axis=1)", "a range's last error wins"),
    (FF, "truth = c.values != 0", "truth = c.values > 0", "IF treats negative numbers as false"),
    (FF, '"LOG10": _unary(np.log10, lambda x: x > 0)', '"LOG10": _unary(np.log, lambda x: x > 0)', "LOG10 computes the natural log"),
    (FF, "count = m.sum(axis=1)", "count = np.ones_like(m).sum(axis=1)", "AVERAGE counts blanks and text"),
    (FF, "codes = np.where((codes == OK) & (x == 0) & (y == 0), NUM, codes)", "codes = codes", "0^0 is 1"),
    (FF, "return finish(x - y, codes)", "return finish(y - x, codes)", "subtraction reversed"),
    (FF, "by_type = comparisons[op](left.astype(float), right.astype(float))", "by_type = result", "logical values compared as numbers"),
    (FF, "codes = np.where(codes == EMPTY, OK, np.where(codes == TEXT, VALUE, codes)).astype(np.int8)",
     "codes = np.where(codes == EMPTY, OK, codes).astype(np.int8)", "text in arithmetic is not #VALUE!"),
    (FF, "filled = np.where(m, v, np.inf if pick is np.min else -np.inf)", "filled = np.where(m, v, 0.0)", "MAX of negatives meets 0"),
    (FF, "zero = (y == 0) & (codes == OK)", "zero = (y == 0) & (x != 0) & (codes == OK)", "0/0 is not #DIV/0!"),
    (FL, "frontier = unique[indegree[unique] == 0]", "frontier = unique", "levels ignore in-degrees"),
    (FR, "col = column_letters(column_number(col) + cols)", "col = col", "shared formulas do not shift columns"),
    (FP, 'return self.binary(("^",), self.unary)', 'return self.binary(("^",), self.percent)', "unary minus looser than ^"),
]

CHECKER = [
    (CT, "\nRTOL = 1e-9", "\nRTOL = 1e-3", "relative tolerance 1e-3"),
    (CT, "\nATOL = 1e-12", "\nATOL = 1e-11", "absolute tolerance 10x"),
    (CT, "\nSUM_TOLERANCE = 1e-12", "\nSUM_TOLERANCE = 1e-4", "sums of products allowed 1e-4"),
    (CT, "\nFINITE_DIFFERENCE_TOLERANCE = 1e-14", "\nFINITE_DIFFERENCE_TOLERANCE = 1e-13", "finite difference allowed 10x"),
    (CT, "close = numeric & finite & (", "close = finite & (", "an error value passes where a number belongs"),
    (CT, "overflowed = ~finite & ((codes >= FIRST_ERROR) | (numeric & (np.abs(got) > OVERFLOW)))",
     "overflowed = ~finite", "anything passes where the reference overflows"),
    (CT, "extra[4, 0] = finite_error / max(abs(expected[2, 0]), abs(expected[3, 0]), 1e-12)",
     "extra[4, 0] = finite_error", "relative difference allowed the finite difference's allowance"),
    (CS, "scale = steepest.get(name, 1.0) * given", "scale = 1e6 * steepest.get(name, 1.0) * given",
     "an activation allowed a million times its input's rounding"),
    (CS, "return widest * (own if own is not None else 2.0 * np.abs(", "return widest * (1e6 if own is not None else 2.0 * np.abs(",
     "softmax's helpers allowed a million times their rounding"),
    (CT, "return (tied * (s.sizes[-1] / SUM_TOLERANCE)).reshape(side, side)",
     "return np.full((side, side), s.sizes[-1] / SUM_TOLERANCE)", "every boundary point accepts any class"),
    (CC, "report.not_formula_count = int((~live).sum())", "report.not_formula_count = 0", "typed numbers over formulas pass"),
    (CC, "wrong = present & ~agree", "wrong = present & ~agree & (cells.owner > 0)", "the first block is never compared"),
    (RB, "if observed is not None and step > 0:", "if False:", "each step checked from the reference's own drift"),
]

READER = [
    (FS, "cols = np.where(letter, cols * 26 + byte - 64, cols)", "cols = np.where(letter, cols * 26 + byte - 65, cols)",
     "column letters read one off"),
    (FS, "rows = np.where(digit, rows * 10 + byte - 48, rows)", "rows = np.where(digit, rows * 10 + byte - 48, rows + 1)",
     "row numbers read wrong after the digits end"),
    (FS, "ok &= ended & (letters <= 3) & (digits >= 1) & (digits <= 7)", "ok &= ended",
     "malformed addresses accepted"),
    (FS, "other = other[other + 2 < len(arr)]", "other = other[:0]", "shared and attributed formulas scanned as plain"),
    (FS, "marked[closes] = ord(SEPARATOR)", 'marked[closes] = ord(";")', "formulas joined without their separator"),
    (DR, "if len(lengths) and lengths.max() > 15:", "if False:", "digit runs beyond 15 digits not split"),
    (DR, "numbers = np.where(more, numbers * 10 + digits, numbers)",
     "numbers = np.where(more, numbers * 10 + digits, numbers * 10)", "short digit runs scaled as long ones"),
    (DR, "keep[starts] = True", "keep[starts] = False", "skeletons lose their digit runs"),
    (SCR, 'if b"<formula" in text or b"<definedName" in text or _ODD_F.search(text):',
     'if b"<definedName" in text:', "rules and attributed formulas beside plain ones go unscreened"),
    (SCR, 'if (b":f" in text or b":definedName" in text) and _PREFIXED.search(text):', "if False:",
     "prefixed formula elements beside plain ones go unscreened"),
    (SCR, 'if b"&#" in joined or joined.count(separator) != count - 1:', "if joined.count(separator) != count - 1:",
     "character references screened by shape (digits zeroed first)"),
    (XT, '.replace("&amp;", "&"))', ")", "&amp; left escaped"),
    (XT, 'return (text.replace("&lt;", "<")', 'return (text.replace("&amp;", "&").replace("&lt;", "<")',
     "&amp; unescaped first: &amp;lt; becomes <"),
    (RW, "out.append(str(offset + i))", "out.append(str(offset + i + 1))", "templated rows shifted by one"),
    (RW, "__index__ = __int__ = __float__ = __bool__ = __hash__ = __eq__ = __ne__ = _refuse",
     "__int__ = __float__ = __bool__ = __hash__ = __eq__ = __ne__ = _refuse",
     "a row used as an index (shuffled samples) not refused"),
]

MUTANTS = ([(*m, "writer") for m in WRITER] + [(*m, "reference") for m in REFERENCE]
           + [(*m, "fast") for m in FAST] + [(*m, "checker") for m in CHECKER]
           + [(*m, "reader") for m in READER] + [(*m, "conv") for m in CONV])

_CHECKS = ["tests/test_hand_computed.py", "tests/test_learner_sheets.py", "tests/test_independence.py",
           "tests/test_promises.py", "tests/test_tamper.py", "tests/test_workbook.py", "tests/test_digits.py",
           "tests/test_continue.py", "tests/test_generalisation.py"]
GROUP_TESTS = {
    "writer": _CHECKS,
    "reference": ["tests/test_hand_computed.py", "tests/test_gradients.py", "tests/test_torch_oracle.py", *_CHECKS[1:],
                  "tests/test_examples.py"],
    "fast": ["tests/test_fast_engine.py", "tests/test_hand_computed.py", "tests/test_tamper.py"],
    "reader": ["tests/test_rowtemplate.py", "tests/test_formula_scan.py", "tests/test_hostile.py", "tests/test_bad_input.py",
               "tests/test_fast_engine.py", "tests/test_hand_computed.py"],
    "conv": ["tests/test_conv_workbook.py", "tests/test_convolution.py"],
    "checker": ["tests/test_promises.py", "tests/test_extremes.py", "tests/test_tamper.py", "tests/test_bad_input.py", *_CHECKS[:3],
                "tests/test_examples.py"],
}
