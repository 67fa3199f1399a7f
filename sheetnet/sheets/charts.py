"""Live charts of the Training sheet's table: loss, accuracy and gradient size per step."""

from __future__ import annotations

from openpyxl.chart import LineChart, Reference
from openpyxl.utils import get_column_letter


def line_chart(ws, title: str, y_title: str, col: int, width: int, count: int, first_row: int):
    chart = LineChart()
    chart.title = title
    chart.y_axis.title = y_title
    chart.x_axis.title = "step"
    for j in range(width):
        chart.add_data(Reference(ws, min_col=col + j, min_row=first_row - 1, max_row=first_row + count - 1),
                       titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first_row, max_row=first_row + count - 1))
    for series in chart.series:
        series.smooth = False
    chart.legend = chart.legend if width > 1 else None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height, chart.width = 7, 15
    return chart

def training_charts(writer, ws, columns, chart_col: int) -> None:
    """Loss, accuracy and per-layer gradient norms over the steps: live charts of the table."""
    s, layout = writer.structure, writer.layout
    first = layout.loss_header_row + 1
    anchor_col = get_column_letter(chart_col)
    charts = [line_chart(ws, "Loss per step", "loss", columns["loss"][0], 1, s.steps + 1, first)]
    charts[0].y_axis.number_format = "0.00"
    if "accuracy" in columns:
        accuracy = line_chart(ws, "Accuracy per step", "share classified right",
                                    columns["accuracy"][0], 1, s.steps + 1, first)
        accuracy.y_axis.scaling.min, accuracy.y_axis.scaling.max = 0, 1
        charts.append(accuracy)
    gnorm_col, width = columns["gnorm"]
    gradients = line_chart(ws, "Gradient size per layer (log scale)", "‖dL/dW‖", gnorm_col, width,
                                 s.steps, first)
    gradients.y_axis.scaling.logBase = 10
    gradients.y_axis.number_format = "0.0E+0"
    charts.append(gradients)
    for index, chart in enumerate(charts):
        ws.add_chart(chart, f"{anchor_col}{layout.loss_header_row + index * 15}")
