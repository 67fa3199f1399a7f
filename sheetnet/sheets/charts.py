"""Live charts of the Training sheet's table: loss, accuracy and gradient size per step.

They are scatter charts with lines: the step is a number on the x axis, so the spreadsheet picks a
few round tick labels (0, 50, 100, ...) for any number of steps, where a category axis would print
every step's label. The gradient chart reads the floored column (at least 1e-12), so a gradient
that is exactly 0 stays on the log scale instead of emptying it.
"""

from __future__ import annotations

from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.utils import get_column_letter

from sheetnet.sheets.headers import penalty_words

SERIES_COLOURS = ("2E75B6", "C55A11", "548235", "7030A0", "BF9000", "808080", "C00000", "00B0F0")


def line_chart(ws, title: str, y_title: str, columns: list[tuple[int, str]], first_row: int, last_row: int):
    """A scatter chart with straight lines: one series per (column, name), x = the step in column A."""
    chart = ScatterChart()
    chart.title = title
    chart.style = 13
    chart.scatterStyle = "line"
    chart.y_axis.title = y_title
    chart.x_axis.title = "step"
    steps = Reference(ws, min_col=1, min_row=first_row, max_row=last_row)
    for index, (col, name) in enumerate(columns):
        values = Reference(ws, min_col=col, min_row=first_row, max_row=last_row)
        series = Series(values, steps, title=name)
        series.marker.symbol = "none"
        series.smooth = False
        series.graphicalProperties.line.solidFill = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        series.graphicalProperties.line.width = 20000
        chart.series.append(series)
    if len(columns) == 1:
        chart.legend = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.number_format = "0"
    chart.x_axis.scaling.min = 0
    chart.x_axis.scaling.max = max(1, last_row - first_row)
    chart.x_axis.majorGridlines = None
    chart.height, chart.width = 7, 15
    return chart


def training_charts(writer, ws, chart_col: int) -> None:
    """Loss, accuracy and per-layer gradient sizes over the steps: live charts of the table."""
    s, training = writer.structure, writer.layout.training
    first, last = training.row(0), training.row(s.steps)
    penalty = penalty_words(s)
    losses = [(training.columns["loss"][0], f"training loss + {penalty}" if penalty else "training loss")]
    if "test_loss" in training.columns:
        losses.append((training.columns["test_loss"][0], "test loss"))
    if writer.measured.log_loss:  # an exploding loss: a linear axis would flatten every step but the last
        loss = line_chart(ws, "Loss per step (log scale)", "loss", losses, first, last)
        loss.y_axis.scaling.logBase = 10
        loss.y_axis.number_format = "0.0E+0"
    else:
        loss = line_chart(ws, "Loss per step", "loss", losses, first, last)
        loss.y_axis.number_format = "General"
    charts = [loss]
    if "accuracy" in training.columns:
        accuracies = [(training.columns["accuracy"][0], "training accuracy")]
        if "test_accuracy" in training.columns:
            accuracies.append((training.columns["test_accuracy"][0], "test accuracy"))
        accuracy = line_chart(ws, "Accuracy per step", "share classified right", accuracies, first, last)
        accuracy.y_axis.scaling.min, accuracy.y_axis.scaling.max = 0, 1
        accuracy.y_axis.number_format = "0%"
        charts.append(accuracy)
    if len(s.test_steps) == 1:  # a convolution measures the test set at the last step: a point, not a line
        for chart in charts:
            for series in chart.series[1:]:
                series.marker.symbol, series.marker.size = "circle", 7
    col, width = training.columns["gplot"]
    series = [(col + j, f"layer {j + 1}") for j in range(width)]
    if "tnorm" in training.columns:  # with clipping: the norm the clip_norm is compared with
        series.append((training.columns["tnorm"][0], "all (before clipping)"))
    gradients = line_chart(ws, "Gradient size per layer (log scale)", "‖dL/dW‖", series, first,
                           training.row(s.steps - 1))
    gradients.y_axis.scaling.logBase = 10
    gradients.visible_cells_only = False  # its floored columns are hidden: the table shows each size once
    gradients.y_axis.number_format = "0.0E+0"
    charts.append(gradients)
    if "lr" in training.columns:
        rate = line_chart(ws, f"Learning rate per step ({s.schedule} schedule)", "learning rate",
                          [(training.columns["lr"][0], "learning rate")], first, training.row(s.steps - 1))
        rate.y_axis.scaling.min = 0
        rate.y_axis.number_format = "General"
        charts.append(rate)
    anchor = get_column_letter(chart_col)
    for index, chart in enumerate(charts):
        ws.add_chart(chart, f"{anchor}{training.header_row + index * 15}")
