"""The page's own widgets, without a browser or a chain: the History plot's axes."""

from __future__ import annotations

from bokeh.models import SingleIntervalTicker

from ui.app import App, websocket_limit
from ui.backend import MAX_UPLOAD_BYTES, Consortium, HistoryRow, Settings


def test_history_plot_with_one_round_at_zero_accuracy() -> None:
    # Prepare
    app = App(Consortium(Settings()))

    # Execute
    app._show_history([HistoryRow(1, 0.0, 1.1, 1_000, 1.0, "bafy", "MATCH")])

    # Assert: whole rounds on x, 0 to 100 % on y with the 0 % point clear of the frame
    plot = app._plot
    assert isinstance(plot.xaxis[0].ticker, SingleIntervalTicker)
    assert plot.xaxis[0].ticker.interval == 1
    assert (plot.x_range.start, plot.x_range.end) == (0.5, 1.5)
    assert plot.y_range.start < 0 and plot.y_range.end > 100
    assert list(plot.yaxis[0].ticker.ticks) == [0, 20, 40, 60, 80, 100]
    assert app._source.data["accuracy"] == [0.0]


def test_the_websocket_takes_a_base64_upload_at_the_limit() -> None:
    # Assert: the browser sends 4 bytes for every 3 of the file
    assert websocket_limit() >= 4 * MAX_UPLOAD_BYTES / 3
