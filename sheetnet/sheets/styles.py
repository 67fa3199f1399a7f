"""Colour by role: editable inputs, forward pass, loss, gradients, parameter updates, optimizer state.

Registered as named cell styles, so Excel and LibreOffice list them ("sheetnet input", ...) and a
learner can see at a glance which numbers they may edit. Numbers use the General format: the
spreadsheet shows as many digits as the column holds, scientific notation only for very large or
very small values, integers as integers.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

from sheetnet.model.options import state_of

# role -> (fill colour, font colour, number format, legend text)
ROLES = {
    "input": ("FFF2CC", "1F3864", "General", "editable input: type a new number here"),
    "forward": ("DDEBF7", "000000", "General", "forward pass: z, activations, outputs"),
    "loss": ("FCE4D6", "000000", "General", "loss"),
    "gradient": ("E2EFDA", "000000", "General", "backward pass: gradients dL/d..."),
    "update": ("E4DFEC", "000000", "General", "updated parameters (W - learning_rate * dW)"),
    "state": ("EDEDED", "000000", "General", "optimizer state (velocity, moments)"),
}
EXTRA_ROLES = {"percent": ("DDEBF7", "000000", "0.0%")}  # accuracy: the forward colours, as a percentage

KIND_ROLES = {
    "W": "update", "b": "update",
    "vel_W": "state", "vel_b": "state", "m_W": "state", "m_b": "state", "v_W": "state", "v_b": "state",
    "x": "forward", "ad": "forward", "mask": "input", "y": "forward",
    "z": "forward", "max": "forward", "exp": "forward", "sum": "forward", "a": "forward",
    "loss_terms": "loss", "loss": "loss", "bc1": "state", "bc2": "state", "s_W": "state", "s_b": "state",
    "lr": "state", "tnorm": "gradient", "clip": "gradient",
    "gamma": "update", "beta": "update", "dgamma": "gradient", "dbeta": "gradient", "dzbn": "gradient",
    "mu": "forward", "var": "forward", "zc": "forward", "zhat": "forward", "zbn": "forward", "rmean": "state",
    "rvar": "state",
    "correct": "forward", "accuracy": "percent", "gnorm": "gradient", "gplot": "gradient",
    "features": "forward", "test_loss": "loss", "test_accuracy": "percent",
    "dA": "gradient", "dz": "gradient", "dW": "gradient", "db": "gradient",
    "K": "update", "kb": "update", "kt": "update", "dK": "gradient", "dkb": "gradient", "cx": "forward",
    "cz": "forward", "cp": "forward", "cdz": "gradient", "dx": "gradient",
}

HEADER_FILL = "305496"


def role_of(kind: str) -> str:
    """The colour role of a kind of block: a test-set block has its training twin's."""
    kind = kind[3:] if kind.startswith("te_") else kind
    return "state" if state_of(kind) else KIND_ROLES[kind]


def style_name(role: str) -> str:
    return f"sheetnet {role}"


def _role_style(name: str, fill: str, font: str, number_format: str, bold: bool) -> NamedStyle:
    thin = Side(style="thin", color="BFBFBF")
    style = NamedStyle(name=style_name(name))
    style.fill = PatternFill("solid", fgColor=fill)
    style.font = Font(name="Calibri", size=10, color=font, bold=bold)
    style.number_format = number_format
    style.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    return style


def named_styles() -> list[NamedStyle]:
    styles = [_role_style(role, fill, font, fmt, role == "input") for role, (fill, font, fmt, _) in ROLES.items()]
    styles += [_role_style(role, fill, font, fmt, False) for role, (fill, font, fmt) in EXTRA_ROLES.items()]
    header = NamedStyle(name=style_name("header"))
    header.fill = PatternFill("solid", fgColor=HEADER_FILL)
    header.font = Font(name="Calibri", size=10, color="FFFFFF", bold=True)
    header.alignment = Alignment(horizontal="center")
    styles.append(header)
    step = NamedStyle(name=style_name("step"))
    step.font = Font(name="Calibri", size=10, bold=True, color="C00000")
    styles.append(step)
    label = NamedStyle(name=style_name("label"))
    label.font = Font(name="Calibri", size=10, color="595959", italic=True)
    label.alignment = Alignment(horizontal="right")
    styles.append(label)
    picture = NamedStyle(name=style_name("picture"))  # a picture cell: its colour is the point, its number hidden
    picture.number_format = ";;;"
    picture.font = Font(name="Calibri", size=10)
    styles.append(picture)
    link = NamedStyle(name=style_name("link"))
    link.font = Font(name="Calibri", size=10, color="0563C1", underline="single")
    link.alignment = Alignment(horizontal="right")
    styles.append(link)
    return styles


TITLE_FONT = Font(name="Calibri", size=14, bold=True, color="1F3864")
SUBTITLE_FONT = Font(name="Calibri", size=10, italic=True, color="404040")
GROUP_FONT = Font(name="Calibri", size=10, bold=True, color="1F3864")
STEP_FONT = Font(name="Calibri", size=10, bold=True, color="C00000")
